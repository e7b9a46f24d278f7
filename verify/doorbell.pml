/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * doorbell.pml - the needs-wake-up handshake W1/W2 (adaptive doorbell mode).
 *
 * Stands for (file:function:label; verify/check-anchors.sh checks they exist):
 *   include/zenedge/ipc_doorbell.h:ipc_sleep_announce:W1     store 1, full fence
 *   include/zenedge/ipc_doorbell.h:ipc_sleep_cancel          store 0
 *   include/zenedge/ipc_doorbell.h:ipc_peer_wants_doorbell:W2 full fence, load
 *   core/ipc_ring.c:prod_publish:R1              the publication W2 follows
 *   rtos/proxy_complete.c:proxy_idle_prepare:W1  announce, re-check the ring
 *   rtos/proxy_complete.c:proxy_idle_finish      cancel after the sleep
 *
 * The consumer (a side with nothing to do) polls its ring; when it is empty
 * it announces sleep (W1: needs_wakeup = 1, full fence), re-checks the ring,
 * cancels and goes on if it finds work, else sleeps on its doorbell. The
 * producer publishes (store-release head), then W2 (full fence, load the
 * peer's needs_wakeup) and rings the doorbell only if the flag is set.
 * The doorbell is an eventfd: a ring before the sleep is not lost.
 *
 * Weak ordering: every store (head, needs_wakeup) goes first to its side's
 * store buffer; the process `mem` commits it at any later moment, and only
 * a full fence drains it. A release store does not order a store before a
 * LATER load (store -> load reordering, allowed even on x86): exactly what
 * W1/W2 are there for.
 *
 * Property (LTL, with weak fairness): a published packet is eventually
 * consumed, though the consumer may sleep at any point:
 *   [] (pub > got -> <> (pub == got))
 *
 * NEGATIVE variants (each must be reported as an acceptance cycle):
 *   NEG_W2  the producer loads needs_wakeup BEFORE its fence
 *   NEG_W1  the consumer re-checks its ring without the fence after W1
 */
#ifndef NPKT
#define NPKT 3
#endif

byte head = 0;          /* ring head in memory (published packets) */
byte head_buf;          /* the producer's store buffer: head */
bool head_pending = 0;
bool nw = 0;            /* consumer's needs_wakeup in memory */
bool nw_buf;            /* the consumer's store buffer: needs_wakeup */
bool nw_pending = 0;
bool bell = 0;          /* the consumer's doorbell (eventfd: a count > 0) */
byte pub = 0;           /* ghost: packets published in program order */
byte got = 0;           /* ghost: packets consumed */

inline prod_fence() {
    if
    :: head_pending -> head = head_buf; head_pending = 0
    :: else
    fi
}

inline cons_fence() {
    if
    :: nw_pending -> nw = nw_buf; nw_pending = 0
    :: else
    fi
}

proctype producer() {
    byte h = 0;
    bool want;
    do
    :: h == NPKT -> break
    :: else ->
        atomic { h++; head_buf = h; head_pending = 1; pub = h }  /* R1 */
#ifdef NEG_W2
        want = nw;                                              /* too early */
        atomic { prod_fence() }                                 /* W2 */
#else
        atomic { prod_fence() }                                 /* W2 */
        want = nw;
#endif
        if
        :: want -> bell = 1                                     /* ring */
        :: else
        fi
    od
}

proctype consumer() {
    byte t = 0;
end:
    do
    :: head != t -> atomic { t = head; got = t }    /* dequeue what is there */
    :: head == t ->
        atomic { nw_buf = 1; nw_pending = 1 }       /* W1: announce */
#ifndef NEG_W1
        atomic { cons_fence() }                     /* W1: full fence */
#endif
        if
        :: head != t ->                             /* re-check found work */
            atomic { nw_buf = 0; nw_pending = 1 }   /* ipc_sleep_cancel */
        :: else ->
end_sleep:  bell -> bell = 0;                       /* sleep on the doorbell */
            atomic { nw_buf = 0; nw_pending = 1 }   /* proxy_idle_finish */
        fi
    od
}

/* Commits a buffered store to memory at any moment. */
proctype mem() {
end:
    do
    :: atomic { head_pending -> head = head_buf; head_pending = 0 }
    :: atomic { nw_pending -> nw = nw_buf; nw_pending = 0 }
    od
}

init {
    atomic {
        run producer();
        run consumer();
        run mem()
    }
}

ltl no_lost_wakeup { [] ((pub > got) -> <> (pub == got)) }
