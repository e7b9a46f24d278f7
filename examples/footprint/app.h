/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app.h - what the start-up code of a reference application calls
 * (app_start.c): the program, and the two interrupt handlers.
 */
#ifndef ZENEDGE_APP_H
#define ZENEDGE_APP_H

void app_main(void);
void app_tick_irq(void);     /* the periodic timer: clock, heartbeat, deadlines */
void app_doorbell_irq(void); /* the bridge rang: the completion handler */

#endif
