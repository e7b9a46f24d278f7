/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring.pml - the SPSC ring of core/ipc_ring.c, with weak memory ordering.
 *
 * Stands for (file:function:label; verify/check-anchors.sh checks they exist):
 *   core/ipc_ring.c:prod_free:A2          the producer's refresh of tail
 *   core/ipc_ring.c:prod_copy             the slot writes (plain stores)
 *   core/ipc_ring.c:prod_publish:R1       store-release of head
 *   core/ipc_ring.c:cons_ready:A1         the consumer's refresh of head
 *   core/ipc_ring.c:cons_copy             the slot reads (plain loads)
 *   core/ipc_ring.c:cons_release:R2       store-release of tail
 *   core/ipc_ring.c:ipc_ring_enqueue_bulk the cached-tail fast path, all or none
 *   core/ipc_ring.c:ipc_ring_dequeue_burst the cached-head fast path, up to max
 *
 * As the code does it: free-running counters of CW values (3 bits here, so
 * they wrap twice within NPKT packets), each side's own counter private, the
 * peer's counter cached and refreshed only when the cached value does not
 * show enough room / packets, n = 1 or 2 packets per call.
 *
 * Weak ordering: the slot writes are plain stores. They go to a store buffer
 * (pend[]) that the process `mem` commits to memory at any later moment and
 * in any order; only the release store R1 drains it first. The consumer's
 * slot loads are plain: under NEG_A1 they may be performed before the head
 * load. The acquire / release words themselves are single atomic steps.
 *
 * Properties (assertions):
 *   P1 every packet arrives once, in order, with the value written (no loss,
 *      duplicate, reorder, torn overwrite): cons checks v == expect;
 *   P2 full / empty never misjudged: at every refresh the computed fill
 *      (head - tail mod CW) equals the true number of published, unreleased
 *      packets (ghost counters pub - freed), and never reads as corrupt;
 *   P3 both sides finish (valid end state): nothing blocks.
 *
 * NEGATIVE variants (each must be reported as a violation):
 *   NEG_R1          prod_publish stores head BEFORE the slot writes
 *   NEG_R1_RELAXED  head stored without release (store buffer not drained)
 *   NEG_A1          slot loads performed before the head load (no acquire)
 *   NEG_R2          cons_release stores tail BEFORE the slot loads
 *   NEG_MASKED      counters kept masked (mod SIZE), not free-running
 */
#ifndef SIZE
#define SIZE 4          /* slots, power of two */
#endif
#ifndef W
#define W 8             /* counter modulus: 3-bit free-running counters */
#endif
#ifndef NPKT
#define NPKT 17         /* 2 W + 1: every counter wraps twice */
#endif
#define MASK (SIZE - 1)
#ifdef NEG_MASKED
#define CW SIZE
#else
#define CW W
#endif
#define DIFF(a, b) (((a) + CW - (b)) % CW)

byte head = 0;          /* ipc_ring_t.head: written by the producer only */
byte tail = 0;          /* ipc_ring_t.tail: written by the consumer only */
byte slot[SIZE];        /* ipc_ring_t.data[] in memory */
byte pend_val[SIZE];    /* the producer's store buffer */
bool pend[SIZE];
byte pub = 0;           /* ghost: packets published (R1 done) */
byte freed = 0;         /* ghost: packets released (R2 done) */

inline drain() {
    di = 0;
    do
    :: di < SIZE -> if :: pend[di] -> slot[di] = pend_val[di]; pend[di] = 0 :: else fi; di++
    :: else -> break
    od
}

inline write_slots(h, first, n) {
    k = 0;
    do
    :: k < n -> pend_val[(h + k) & MASK] = first + k; pend[(h + k) & MASK] = 1; k++
    :: else -> break
    od;
    skip    /* a d_step may follow: the loop must not jump into it */
}

proctype producer() {
    byte h = 0, tseen = 0, t, used, n, k, di, seq = 1;
    do
    :: seq > NPKT -> break
    :: else ->
        if
        :: n = 1
        :: seq < NPKT -> n = 2
        fi;
        /* ipc_ring_enqueue_bulk: fast path on the cached tail */
        if
        :: SIZE - DIFF(h, tseen) < n ->
            atomic { /* prod_free, A2: load-acquire tail */
                t = tail;
                used = DIFF(h, t);
                assert(used <= SIZE);           /* never judged corrupt */
                assert(used == pub - freed);    /* P2 */
            }
            tseen = t;
            if
            :: SIZE - used < n -> goto retry    /* IPC_E_RING_FULL: nothing written */
            :: else
            fi
        :: else
        fi;
#ifdef NEG_R1
        d_step { h = (h + n) % CW; head = h; pub = pub + n }
        write_slots((h + CW - n) % CW, seq, n);
#else
        write_slots(h, seq, n);                 /* prod_copy: plain stores */
#ifdef NEG_R1_RELAXED
        d_step { h = (h + n) % CW; head = h; pub = pub + n }
#else
        d_step { drain(); h = (h + n) % CW; head = h; pub = pub + n } /* R1 */
#endif
#endif
        seq = seq + n;
retry:  skip
    od
}

proctype consumer() {
    byte t = 0, hseen = 0, hd, ready, mx, k, v, early, expect = 1;
    do
    :: expect > NPKT -> break
    :: else ->
        if
        :: mx = 1
        :: mx = 2
        fi;
        ready = DIFF(hseen, t);
        if
        :: ready < mx ->
#ifdef NEG_A1
            early = slot[t & MASK];             /* the load hoisted above A1 */
#endif
            atomic { /* cons_ready, A1: load-acquire head */
                hd = head;
                ready = DIFF(hd, t);
                assert(ready <= SIZE);          /* never judged corrupt */
                assert(ready == pub - freed);   /* P2 */
            }
            hseen = hd
        :: else
        fi;
        if
        :: ready > mx -> ready = mx
        :: else
        fi;
        if
        :: ready == 0 -> skip                   /* empty: poll again */
        :: else ->
#ifdef NEG_R2
            d_step { t = (t + ready) % CW; tail = t; freed = freed + ready }
            t = (t + CW - ready) % CW;
#endif
            k = 0;                              /* cons_copy: plain loads */
            do
            :: k < ready ->
#ifdef NEG_A1
                if
                :: k == 0 -> v = early
                :: else -> v = slot[(t + k) & MASK]
                fi;
#else
                v = slot[(t + k) & MASK];
#endif
                assert(v == expect);            /* P1 */
                expect++;
                k++
            :: else -> break
            od;
            skip;
#ifdef NEG_R2
            t = (t + ready) % CW
#else
            d_step { t = (t + ready) % CW; tail = t; freed = freed + ready } /* R2 */
#endif
        fi
    od
}

/* Commits one buffered slot store to memory, any one, at any moment. */
proctype mem() {
    byte i;
end:
    do
    :: atomic {
        i = 0;
        do
        :: i < SIZE && pend[i] -> slot[i] = pend_val[i]; pend[i] = 0; break
        :: i < SIZE -> i++
        :: i >= SIZE -> break
        od
       }
    od
}

init {
    atomic {
        run producer();
        run consumer();
        run mem()
    }
}
