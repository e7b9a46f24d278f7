/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zx_arch.h - the few x86 instructions the guest port needs, as inline
 * functions (port I/O, interrupt flag, time stamp counter, MMIO).
 */
#ifndef ZX_ARCH_H
#define ZX_ARCH_H

#include <stdint.h>

static inline void zx_outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void zx_outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void zx_outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t zx_inb(uint16_t port)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t zx_inw(uint16_t port)
{
    uint16_t v;
    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t zx_inl(uint16_t port)
{
    uint32_t v;
    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Interrupt flag. zx_irq_save() masks and returns the previous EFLAGS. */
#define ZX_EFLAGS_IF 0x200u
static inline uint32_t zx_irq_save(void)
{
    uint32_t f;
    __asm__ __volatile__("pushfl\n\tpopl %0\n\tcli" : "=r"(f)::"memory");
    return f;
}
static inline void zx_irq_restore(uint32_t f)
{
    if (f & ZX_EFLAGS_IF)
        __asm__ __volatile__("sti" ::: "memory");
}
static inline void zx_irq_enable(void)
{
    __asm__ __volatile__("sti" ::: "memory");
}
static inline void zx_irq_disable(void)
{
    __asm__ __volatile__("cli" ::: "memory");
}

/* With interrupts masked: enable them and halt as one step (STI holds
 * interrupts off for one more instruction, so a wake-up that arrives
 * between the caller's last check and HLT is not lost: it ends the HLT).
 * Returns with interrupts masked again. */
static inline void zx_irq_enable_and_halt(void)
{
    __asm__ __volatile__("sti\n\thlt\n\tcli" ::: "memory");
}

static inline uint64_t zx_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t zx_mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}
static inline void zx_mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

static inline uint64_t zx_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

#endif /* ZX_ARCH_H */
