/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_soak.h - zenedge-sim --soak: the tasks for a fixed time, in rounds
 * with a re-initialisation of the proxy (new epoch) between two rounds,
 * and the books of every job (sim_soak.c).
 */
#ifndef ZENEDGE_SIM_SOAK_H
#define ZENEDGE_SIM_SOAK_H

/* Run the tasks for sim.soak_s seconds in rounds of sim.soak_round_s
 * (after bridge_wait()). Returns 0, or 1 when a re-initialisation failed
 * (message printed). */
int sim_soak_run(void);

/* Print the "soak:" summary line. Returns 0 when no job was lost,
 * duplicated or wrong and some jobs succeeded, else 1. */
int sim_soak_report(void);

#endif /* ZENEDGE_SIM_SOAK_H */
