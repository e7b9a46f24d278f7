/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * liveness.pml - bridge loss and restart, ZENEDGE restart, stale answers
 * (docs/protocol.md "Bridge loss and restart", steps 1-6).
 *
 * Stands for (file:function:label; verify/check-anchors.sh checks they exist):
 *   rtos/liveness.c:proxy_tick           the drain, then the recovery pass
 *   rtos/liveness.c:drain_answers        the completion ring consumed first
 *   rtos/liveness.c:watch:L1             load-acquire of the bridge state
 *   rtos/liveness.c:watch:L2             load-acquire of the bridge epoch
 *   rtos/liveness.c:watch:L3             the heartbeat read (staleness)
 *   rtos/liveness.c:adopt_start_tails:L4 the start tails, after L2
 *   rtos/liveness.c:new_epoch            steps 3-6 on a new epoch
 *   rtos/liveness.c:snapshot_tails       step 2, once per loss
 *   rtos/liveness.c:rec_visit            steps 5 and 6 for one slot
 *   rtos/liveness.c:reclaim_one          step 6: cancel word, handle 0
 *   rtos/proxy_complete.c:handle_one     gen check, duplicate, late answer
 *   rtos/job_table.c:pj_end              exactly one final status
 *   rtos/job_table.c:pj_take             the slot generation
 *   bridge/attach.c:publish_start        start tails, then the epoch (L2)
 *   bridge/attach.c:bridge_attach_changed the ZENEDGE epoch check
 *   bridge/region.c:detach                queued answers discarded
 *   bridge/region.c:bridge_region_step    check, then serve and post (split)
 *   core/ipc_region.c:ipc_region_init    a ZENEDGE restart: fresh region,
 *                                        the bridge's words zeroed
 *
 * Actors: the ZENEDGE side (submit, completion handler, tick, restart) and
 * bridge instances (attach, dequeue, answer, crash; the next instance
 * attaches after a crash). Each step of either side is one atomic step (a
 * critical section on the ZENEDGE side; a tick, its drain of the
 * completion ring and its recovery pass together; see docs/verification.md
 * for what that hides). The bridge's check of the ZENEDGE epoch and its
 * ring accesses are separate steps: after a check that passed, a loop pass
 * may dequeue and post any number of times, the ZENEDGE side restarting in
 * between (bridge/region.c bridge_region_step). A ZENEDGE restart zeroes
 * the bridge's words (state, epoch, start tails): the new instance counts
 * the bridge online only after it attached again. Staleness of the
 * heartbeat (L3) is a clock matter; the model lets the ZENEDGE side find
 * the bridge stale whenever its instance is dead and, FALSE_STALE times,
 * while it is alive (a hung bridge that resumes).
 *
 * Option BRIDGE_1_0: each instance may be a 1.0 bridge (no start tails;
 * the ZENEDGE side falls back to its own snapshot, step 4). Checked with
 * FALSE_STALE=0: a false "stale" verdict, a dequeue by the resumed bridge
 * before the next tick and its crash leave the slots of those jobs held
 * with a 1.0 bridge (docs/verification.md, "Not covered").
 *
 * Properties:
 *   E1 every job gets at most one final status (assert at every ending);
 *   E2 every job the running ZENEDGE instance submitted gets a final status
 *      (the ZENEDGE process ends only then: a job left without one is an
 *      invalid end state);
 *   E3 an answer becomes a final status only for the very job it was
 *      produced for (same ZENEDGE epoch, same job), never for a job of an
 *      earlier ZENEDGE epoch or a later user of the same slot; a stale
 *      answer (a crashed instance's, or one for a job ended meanwhile) is
 *      never accepted as a final status;
 *   E4 no slot is reused while a bridge instance may still answer the job
 *      that held it (the answer would otherwise be accepted for the next
 *      job: E3 catches it);
 *   E5 a job whose answer lies in the completion ring never ends
 *      BRIDGE_LOST (a recovery pass reads the ring first), so no answer the
 *      bridge made is refused afterwards as a duplicate of a reclaim.
 *
 * NEGATIVE variants (each must be reported as a violation):
 *   NEG_GEN       handle_one does not compare the handle's generation
 *                 (with BRIDGE_1_0: the fallback of step 4 reclaims a slot
 *                 whose packet the new instance took; it answers later)
 *   NEG_ZEPOCH    answers queued under an earlier ZENEDGE epoch are kept
 *                 over the re-attach (detach without the discard)
 *   NEG_NEWEPOCH  the ZENEDGE side ignores a new bridge epoch (no step 3-6;
 *                 the drain kept)
 *   NEG_LATE      handle_one takes a late answer as the final status
 *   NEG_SPLIT     the first bridge epoch of a ZENEDGE instance taken online
 *                 without draining the completion ring (the code before
 *                 the fix): an answer a bridge pass attached to the earlier
 *                 ZENEDGE epoch posted after the restart is taken for the
 *                 new instance's first job (E3)
 *   NEG_NODRAIN   a recovery pass of a later epoch or a loss without the
 *                 drain before it (the code before the fix): E5
 */
#ifndef NJOBS
#define NJOBS 3         /* jobs submitted in all */
#endif
#ifndef B_CRASH
#define B_CRASH 1       /* bridge crashes (each followed by a new instance) */
#endif
#ifndef Z_RESTART
#define Z_RESTART 1     /* ZENEDGE restarts */
#endif
#ifndef FALSE_STALE
#define FALSE_STALE 1   /* heartbeat judged stale while the bridge lives */
#endif
#define J 2             /* job slots */
#define RS 4            /* ring slots (SQ, CQ) */
#define GENS 3          /* slot generations 1..GENS */
#define DIFF(a, b) (((a) + 256 - (b)) % 256)  /* free-running byte counters */
#define H(s, g) ((g) * J + (s))
#define HSLOT(h) ((h) % J)
#define HGEN(h) ((h) / J)

#define F_BUSY 1
#define F_PUB 2
#define F_ANS 4
#define F_END 8

#define ST_OFFLINE 0
#define ST_STARTING 1
#define ST_READY 2

/* --- the region --- */
byte zen_epoch = 1;             /* zen.epoch */
byte b_state = ST_OFFLINE;      /* bridge.state (L1) */
byte b_epoch = 0;               /* bridge.epoch (L2) */
bool b_hb = 0;                  /* bridge heartbeat moving (L3) */
byte b_start_tail = 0;          /* bridge.sq_tail_at_start[0] (L4) */
bool b_tails = 0;               /* IPC_FEAT_START_TAILS (a 1.0 bridge: 0) */
byte sq_head = 0, sq_tail = 0;  /* submission ring counters */
byte sq_pkt[RS];                /* packet: the job handle */
byte cq_head = 0, cq_tail = 0;  /* completion ring counters */
byte cq_h[RS];                  /* packet: handle */
byte cq_jid[RS];                /* ghost: the job the answer was made for */
byte d_handle[J];               /* descriptor handle word */
bool d_cancel[J];               /* descriptor cancel word */
byte d_jid[J];                  /* ghost: job whose request the line holds */

/* --- the ZENEDGE side's private state --- */
byte j_flags[J], j_gen[J], j_pos[J], j_jid[J];
byte z_bepoch = 0;              /* p->bridge_epoch */
bool z_online = 0;
bool lost_valid = 0;
byte lost_tail = 0;
byte z_tseen = 0;               /* sq tail_seen */
byte z_ctail = 0;               /* cq private tail */
byte nsub = 0;                  /* ghost: jobs submitted */
byte final[NJOBS + 2];          /* ghost: final statuses per job */
byte j_zep[NJOBS + 2];          /* ghost: the ZENEDGE epoch of each job */
bool inring[NJOBS + 2];         /* ghost: an answer for the job is in the CQ */
byte fs_left = FALSE_STALE;

inline pj_end(s) {
    assert(final[j_jid[s]] == 0);               /* E1 */
    final[j_jid[s]]++;
    j_flags[s] = j_flags[s] | F_END;
    if
    :: !(j_flags[s] & F_ANS) -> d_cancel[s] = 1  /* a later answer is CANCELLED */
    :: else
    fi
}

/* A recovery pass ends the job BRIDGE_LOST. */
inline pj_lost(s) {
    assert(!inring[j_jid[s]]);                  /* E5 */
    pj_end(s)
}

inline release_if_done(s) {
    if
    :: (j_flags[s] & (F_END | F_ANS)) == (F_END | F_ANS) -> j_flags[s] = 0
    :: else
    fi
}

/* Steps 5 and 6 over the table: end the jobs in flight below `end`, and
 * with `reclaim`, free the held slots below `tl`. */
inline rec_pass(end, reclaim, tl) {
    s = 0;
    do
    :: s < J ->
        if
        :: (j_flags[s] & (F_BUSY | F_PUB | F_ANS | F_END)) == (F_BUSY | F_PUB) && j_pos[s] < end ->
            pj_lost(s)
        :: else
        fi;
        if
        :: reclaim && (j_flags[s] & (F_BUSY | F_PUB | F_ANS | F_END)) == (F_BUSY | F_PUB | F_END) &&
           j_pos[s] < tl ->
            d_cancel[s] = 1; d_handle[s] = 0; d_jid[s] = 0;
            j_flags[s] = j_flags[s] | F_ANS;
            release_if_done(s)
        :: else
        fi;
        s++
    :: else -> break
    od
}

/* rtos/proxy_complete.c:handle_one for one packet. */
inline complete_one() {
    h = cq_h[z_ctail % RS];
    jid = cq_jid[z_ctail % RS];
    inring[jid] = 0;
    z_ctail++;
    cq_tail = z_ctail;                          /* R2 */
    s = HSLOT(h);
    if
    :: HGEN(h) == 0 -> skip                     /* names no job: rejected */
#ifdef NEG_GEN
    :: HGEN(h) != 0 && (j_flags[s] & (F_BUSY | F_PUB)) != (F_BUSY | F_PUB) -> skip
    :: HGEN(h) != 0 && (j_flags[s] & (F_BUSY | F_PUB)) == (F_BUSY | F_PUB) ->
#else
    :: HGEN(h) != 0 && ((j_flags[s] & (F_BUSY | F_PUB)) != (F_BUSY | F_PUB) || j_gen[s] != HGEN(h)) ->
        skip                                    /* stale / unknown job */
    :: HGEN(h) != 0 && (j_flags[s] & (F_BUSY | F_PUB)) == (F_BUSY | F_PUB) && j_gen[s] == HGEN(h) ->
#endif
        if
        :: j_flags[s] & F_ANS -> skip           /* duplicate */
        :: else ->
            j_flags[s] = j_flags[s] | F_ANS;
            if
#ifdef NEG_LATE
            :: j_flags[s] & F_END -> pj_end(s)  /* taken as a second status */
#else
            :: j_flags[s] & F_END -> skip       /* late answer: frees the slot */
#endif
            :: else ->
                assert(jid == j_jid[s]);        /* E3 */
                pj_end(s)
            fi;
            release_if_done(s)
        fi
    fi
}

/* rtos/liveness.c:drain_answers: the completion ring consumed up to its
 * occupancy (at most RS packets). */
inline drain() {
    do
    :: DIFF(cq_head, z_ctail) > 0 && DIFF(cq_head, z_ctail) <= RS -> complete_one()
    :: else -> break
    od
}

/* One tick: watch(), the drain of the completion ring and the recovery
 * pass; the bridge counts as online only after them (proxy_tick). */
inline tick(force_stale) {
    st = b_state;                               /* L1 */
    ep = b_epoch;                               /* L2 */
    stale = force_stale || !b_hb;               /* L3 */
    if
#if defined(NEG_SPLIT)
    :: ep != z_bepoch && z_bepoch != 0 -> drain()
#elif defined(NEG_NODRAIN)
    :: ep != z_bepoch && z_bepoch == 0 -> drain()
#else
    :: ep != z_bepoch -> drain()                /* step 3: before the pass */
#endif
    :: else
    fi;
#ifndef NEG_NEWEPOCH
    if
    :: ep != z_bepoch ->                        /* step 3 */
        z_tseen = sq_tail;
        if
        :: ep != 0 && b_tails && DIFF(sq_head, b_start_tail) <= RS ->
            lost_tail = b_start_tail;           /* step 4 (L4) */
            rec_pass(lost_tail, 1, lost_tail)
        :: else ->
            if
            :: !lost_valid -> lost_tail = z_tseen
            :: else
            fi;
            rec_pass(sq_head, 1, lost_tail)
        fi;
        lost_valid = 0;
        z_online = 0
    :: else
    fi;
#endif
    z_bepoch = ep;
    alive = ep != 0 && st == ST_READY && !stale;
    if
    :: ep != 0 && (stale || st == ST_OFFLINE) && !lost_valid ->  /* step 2 */
        z_tseen = sq_tail;
        lost_tail = z_tseen;
        lost_valid = 1;
#ifndef NEG_NODRAIN
        drain();                                /* step 2: before the pass */
#endif
        rec_pass(sq_head, 0, 0)
    :: else
    fi;
    if
    :: alive -> lost_valid = 0
    :: else
    fi;
    z_online = alive
}

inline submit() {
    if
    :: j_flags[0] == 0 -> s = 0
    :: j_flags[1] == 0 -> s = 1
    fi;
    nsub++;
    j_zep[nsub] = zen_epoch;
    j_gen[s] = j_gen[s] % GENS + 1;             /* pj_take */
    j_flags[s] = F_BUSY | F_PUB;
    j_pos[s] = sq_head;
    j_jid[s] = nsub;
    d_handle[s] = H(s, j_gen[s]);
    d_cancel[s] = 0;
    d_jid[s] = nsub;
    sq_pkt[sq_head % RS] = H(s, j_gen[s]);
    sq_head++                                   /* R1 */
}

/* The ZENEDGE side done: every job of this instance has its final status. */
#define ALL_FINAL(k) (k > nsub || j_zep[k] != zen_epoch || final[k] == 1)
#define ZEN_DONE (nsub == NJOBS && ALL_FINAL(1) && ALL_FINAL(2) && ALL_FINAL(3) && ALL_FINAL(4))
/* Something for a tick to do (a tick that changes nothing is not modelled). */
#define TICK_NEEDED (b_epoch != z_bepoch || \
    (b_epoch != 0 && (!b_hb || b_state == ST_OFFLINE) && !lost_valid) || \
    ((b_epoch != 0 && b_state == ST_READY && b_hb) != z_online))

proctype zen() {
    byte s, h, jid, st, ep, k, zr = Z_RESTART;
    bool stale, alive;
    do
    :: atomic { ZEN_DONE -> break }
    :: atomic { z_online && nsub < NJOBS && (j_flags[0] == 0 || j_flags[1] == 0) && DIFF(sq_head, z_tseen) < RS ->
        submit() }
    :: atomic { z_online && nsub < NJOBS && (j_flags[0] == 0 || j_flags[1] == 0) && DIFF(sq_head, z_tseen) >= RS ->
        z_tseen = sq_tail }                    /* A2: refresh */
    :: atomic { DIFF(cq_head, z_ctail) > 0 && DIFF(cq_head, z_ctail) <= RS -> complete_one() }
    :: atomic { TICK_NEEDED -> tick(0) }
    :: atomic { fs_left > 0 && z_online -> fs_left--; tick(1) }
    :: atomic { zr > 0 ->                      /* crash and re-initialise */
        zr--;
        zen_epoch++;
        sq_head = 0; sq_tail = 0; cq_head = 0; cq_tail = 0;
        b_state = ST_OFFLINE; b_epoch = 0; b_start_tail = 0; b_tails = 0;  /* the bridge's words zeroed */
        z_ctail = 0; z_tseen = 0; z_bepoch = 0; z_online = 0; lost_valid = 0;
        k = 0;
        do
        :: k < J -> j_flags[k] = 0; j_gen[k] = 0; d_handle[k] = 0; d_cancel[k] = 0; d_jid[k] = 0; k++
        :: else -> break
        od;
        k = 0;
        do
        :: k < RS -> sq_pkt[k] = 0; cq_h[k] = 0; cq_jid[k] = 0; k++
        :: else -> break
        od }
    od
}

#define ZCHECK (zen_epoch == my_zep)

proctype bridge() {
    byte my_ep = 0, my_zep, bt, bh, n_ans = 0, crashes = B_CRASH, h, s;
    byte a_h[2], a_jid[2];
    bool ok;
attach:
    atomic {                                    /* check_region, publish_start */
        DIFF(sq_head, sq_tail) <= RS && DIFF(cq_head, cq_tail) <= RS;
#ifndef NEG_ZEPOCH
        n_ans = 0;                              /* detach: answers discarded */
#endif
        ok = 0;
        b_state = ST_STARTING;
        bt = sq_tail; bh = cq_head;
        b_start_tail = bt;
#ifdef BRIDGE_1_0
        if                                      /* a 1.1 or a 1.0 bridge */
        :: b_tails = 1
        :: b_tails = 0
        fi;
#else
        b_tails = 1;
#endif
        my_ep = (b_epoch > my_ep -> b_epoch : my_ep) + 1;
        b_epoch = my_ep;                        /* L2 */
        my_zep = zen_epoch
    }
    atomic { b_hb = 1; b_state = ST_READY }     /* L1 */
end:
    do
    :: atomic { !ZCHECK -> b_hb = 0; goto attach }  /* bridge_attach_changed */
    :: atomic { ZCHECK && !ok -> ok = 1 }       /* ... passed: ring accesses follow */
    :: atomic { ok && DIFF(sq_head, bt) > 0 && DIFF(sq_head, bt) <= RS && n_ans < 2 ->
        h = sq_pkt[bt % RS];                    /* dequeue (A1) */
        bt++;
        sq_tail = bt;                           /* R2 */
        s = HSLOT(h);
        if
        :: d_handle[s] != h -> a_h[n_ans] = 0; a_jid[n_ans] = 0   /* names no job */
        :: else -> a_h[n_ans] = h; a_jid[n_ans] = d_jid[s]        /* run or CANCELLED */
        fi;
        n_ans++ }
    :: atomic { ok && n_ans > 0 && DIFF(bh, cq_tail) < RS ->
        cq_h[bh % RS] = a_h[0];                 /* answer line, packet */
        cq_jid[bh % RS] = a_jid[0];
        inring[a_jid[0]] = 1;
        bh++;
        cq_head = bh;                           /* R1 */
        a_h[0] = a_h[1]; a_jid[0] = a_jid[1];
        n_ans-- }
    :: atomic { crashes > 0 ->                  /* killed: state stays READY */
        crashes--;
        b_hb = 0;
        ok = 0;
        my_ep = 0;
        n_ans = 0;                              /* the new process has none */
        goto attach }
    od
}

init {
    atomic {
        run zen();
        run bridge()
    }
}
