/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_start.c - the smallest start-up a reference application needs: a
 * table of handler addresses (the Cortex-M vector table layout: initial
 * stack, reset, then the handlers; other targets keep it as a plain table
 * the linker must not drop), the reset code that copies .data and clears
 * .bss with word loops, and nothing else. Linked with app.ld.
 */
#include <stdint.h>

#include "app.h"

extern uint32_t _data_start[], _data_end[], _data_load[], _bss_end[], _stack_top[];

void app_reset(void);

void app_reset(void)
{
    /* .bss follows .data (app.ld): one loop walks both, copying below
     * _data_end and zeroing above, and a gap that .bss's alignment
     * leaves after .data is unused RAM, zeroed */
    uint32_t *d = _data_start;
    const uint32_t *s = _data_load;
    for (; d < _bss_end; d++)
        *d = d < _data_end ? *s++ : 0u;
    app_main();
    for (;;) {
    }
}

/* Cortex-M: [0] initial stack pointer, [1] reset, [15] SysTick (the
 * tick), [16] the first external interrupt (the bridge's doorbell). */
__attribute__((section(".vectors"), used)) void *const app_vectors[17] = {
    [0] = _stack_top,
    [1] = (void *)app_reset,
    [15] = (void *)app_tick_irq,
    [16] = (void *)app_doorbell_irq,
};
