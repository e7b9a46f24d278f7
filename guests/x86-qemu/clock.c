/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clock.c - the guest's monotonic clock: the time stamp counter,
 * calibrated once at boot against channel 2 of the 8254 PIT (whose input
 * is 1.193182 MHz by definition).
 *
 * Calibration: gate channel 2 on (port 0x61 bit 0) with the speaker off,
 * load it in mode 0 (interrupt on terminal count) with the count for
 * CAL_MS milliseconds, read the TSC, wait for OUT2 (port 0x61 bit 5) to
 * go high, read the TSC again. tsc_hz = delta * 1000 / CAL_MS.
 *
 * Under QEMU TCG the PIT runs on QEMU's virtual clock (host time) and
 * RDTSC returns a counter derived from the host's, so the result is the
 * host rate; the calibration costs CAL_MS of boot time.
 *
 * Conversion without 64-bit division on the hot path: ns = tsc * mult >>
 * shift with mult a 32-bit fraction, computed on the two 32-bit halves of
 * the TSC delta (two 32x32->64 multiplications).
 */
#include "zx.h"
#include "zx_arch.h"

#define CAL_MS 50u
#define PIT_HZ 1193182u

static uint64_t tsc0;
static uint64_t tsc_hz;
static uint32_t mult;
static uint32_t shift;

void zx_clock_init(void)
{
    uint32_t count = PIT_HZ * CAL_MS / 1000u; /* 59659 for 50 ms */
    uint8_t p61 = zx_inb(0x61);
    zx_outb(0x61, (uint8_t)((p61 & ~0x02u) | 0x01u)); /* gate on, speaker off */
    zx_outb(0x43, 0xB0);                              /* ch 2, lo/hi, mode 0 */
    zx_outb(0x42, (uint8_t)(count & 0xFFu));
    zx_outb(0x42, (uint8_t)(count >> 8));
    uint64_t t0 = zx_rdtsc();
    uint64_t spins = 0;
    while ((zx_inb(0x61) & 0x20u) == 0 && spins < 200000000ull)
        spins++;
    uint64_t t1 = zx_rdtsc();
    zx_outb(0x61, p61);
    uint64_t delta = t1 - t0;
    tsc_hz = zx_udivmod64(delta * 1000u, CAL_MS, 0);
    if (tsc_hz < 1000000u) /* impossible reading: assume 1 GHz */
        tsc_hz = 1000000000u;
    /* mult / 2^shift = 1e9 / tsc_hz with mult < 2^32 */
    shift = 32;
    while (shift > 0 && zx_udivmod64((uint64_t)1000000000u << shift, tsc_hz, 0) > 0xFFFFFFFFull)
        shift--;
    mult = (uint32_t)zx_udivmod64((uint64_t)1000000000u << shift, tsc_hz, 0);
    tsc0 = zx_rdtsc();
}

uint64_t zx_tsc_hz(void)
{
    return tsc_hz;
}

uint64_t zx_now_ns(void)
{
    uint64_t d = zx_rdtsc() - tsc0;
    uint32_t hi = (uint32_t)(d >> 32), lo = (uint32_t)d;
    uint64_t a = (uint64_t)hi * mult; /* (hi << 32) * mult >> shift */
    uint64_t b = (uint64_t)lo * mult;
    return (a << (32u - shift)) + (b >> shift);
}

void zx_delay_us(uint32_t us)
{
    uint64_t end = zx_now_ns() + (uint64_t)us * 1000u;
    while (zx_now_ns() < end)
        __builtin_ia32_pause();
}
