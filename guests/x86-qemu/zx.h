/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zx.h - internal interfaces of the bare-metal x86 (QEMU) port of ZENEDGE.
 * Prefix zx_. Nothing here is seen by the portable code, which only calls
 * the zport_* hooks (rtos/zport.h) implemented in ports/x86-qemu/port.c.
 *
 * Memory map and boot steps: docs/qemu.md.
 */
#ifndef ZX_H
#define ZX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- run-time support (rt.c) ---------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
/* Unsigned 64-bit division by shift and subtract (no libgcc on -m32). */
uint64_t zx_udivmod64(uint64_t n, uint64_t d, uint64_t *rem);
/* Bounded string helpers for the command line parser. */
bool zx_str_eq(const char *a, const char *b);
/* Parse a decimal number; returns false if s is not one or overflows. */
bool zx_parse_u32(const char *s, uint32_t *out);

/* ---- serial console on COM1 (console.c) ---------------------------- */
void zx_console_init(void);
void zx_putc(char c);
void zx_puts(const char *s);
/* printf subset: %% %c %s %d %u %x %X %p with flags '-' '0', a width, and
 * the length modifiers l and ll (64-bit values are divided by rt.c). */
void zx_vprintf(const char *fmt, va_list ap);
void zx_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- CPU: IDT, PIC, PIT, local APIC, exit (cpu.c) -------------------- */
#define ZX_VEC_TIMER     32u  /* PIC IRQ 0 remapped to 0x20 */
#define ZX_VEC_PIC_SPUR1 39u  /* IRQ 7 */
#define ZX_VEC_PIC_SPUR2 47u  /* IRQ 15 */
#define ZX_VEC_MSIX      65u  /* the ivshmem device's MSI-X vector 0 */
#define ZX_VEC_SPURIOUS  255u /* local APIC spurious vector */

/* What zx_isr_common pushes (boot.S): PUSHA, vector, error code, then the
 * CPU's own frame. */
struct zx_frame {
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
};

/* Exit codes for the isa-debug-exit device: QEMU exits with (code << 1) | 1. */
#define ZX_EXIT_PASS 0x10u /* QEMU status 33 */
#define ZX_EXIT_FAIL 0x11u /* QEMU status 35 */

void zx_cpu_init(uint32_t tick_hz);
uint32_t zx_tick_hz(void);
uint32_t zx_ticks(void);
/* Local APIC: software-enable it (needed for MSI delivery), keep the PIC
 * path (LINT0 ExtINT) working. Returns the APIC id. */
uint32_t zx_lapic_init(void);
void zx_lapic_eoi(void);
/* Handler of ZX_VEC_MSIX (interrupt context). */
typedef void (*zx_irq_handler_t)(void *arg);
void zx_set_msix_handler(zx_irq_handler_t fn, void *arg);
uint32_t zx_msix_count(void);
__attribute__((noreturn)) void zx_exit(uint32_t code);

/* ---- clock (clock.c) --------------------------------------------------- */
/* Calibrate the TSC against PIT channel 2 (about 50 ms); logs the result. */
void zx_clock_init(void);
uint64_t zx_now_ns(void);
uint64_t zx_tsc_hz(void);
void zx_delay_us(uint32_t us);

/* ---- PCI and the ivshmem device (pci.c) ----------------------------- */
#define ZX_IVSHMEM_VENDOR 0x1AF4u
#define ZX_IVSHMEM_DEVICE 0x1110u

typedef struct zx_ivshmem {
    uint8_t bus, dev, fn;
    uint8_t revision;
    uintptr_t regs;     /* BAR0: registers (256 bytes, MMIO) */
    uintptr_t msix_bar; /* BAR1: MSI-X table + PBA (doorbell variant), 0 if none */
    uint32_t msix_cap;  /* config offset of the MSI-X capability, 0 if none */
    uint32_t msix_vectors;
    uintptr_t shm;                     /* BAR2: the shared memory, below 4 GiB */
    uint32_t shm_size;                 /* bytes */
    uint32_t shm_orig_lo, shm_orig_hi; /* BAR2 as the firmware left it */
    bool relocated;                    /* BAR2 was reprogrammed by us */
    uint32_t ivposition;               /* our peer id (0 without the server) */
} zx_ivshmem_t;

/* ivshmem BAR0 registers */
#define ZX_IVSHMEM_INTRMASK   0x00u
#define ZX_IVSHMEM_INTRSTATUS 0x04u
#define ZX_IVSHMEM_IVPOSITION 0x08u
#define ZX_IVSHMEM_DOORBELL   0x0Cu

uint32_t zx_pci_read32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off);
void zx_pci_write32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off, uint32_t v);
/* Find the first ivshmem device, map its BARs below 4 GiB (reprogramming
 * BAR2 when the firmware left it above 4 GiB, unassigned, or when
 * force_relocate is set; every write is checked by reading it back) and
 * enable memory decoding. ram_top: first byte above guest RAM. 0 or a
 * negative ZX_E_* code. */
#define ZX_E_NO_DEVICE (-1)
#define ZX_E_BAR       (-2)
#define ZX_E_NO_WINDOW (-3)
#define ZX_E_READBACK  (-4)
#define ZX_E_NO_MSIX   (-5)
int zx_ivshmem_find(zx_ivshmem_t *d, uint32_t ram_top, bool force_relocate);
/* Program MSI-X entry 0 to deliver `vector` to the local APIC apic_id and
 * enable MSI-X and bus mastering. */
int zx_ivshmem_msix_enable(zx_ivshmem_t *d, uint32_t vector, uint32_t apic_id);
/* Doorbell register: interrupt vector `vector` of peer `peer`. */
void zx_ivshmem_ring(const zx_ivshmem_t *d, uint32_t peer, uint32_t vector);

/* ---- cooperative scheduler (sched.c) -------------------------------- */
typedef void (*zx_task_fn)(void *arg);

typedef struct zx_task {
    uint32_t sp;    /* saved stack pointer while not running */
    uint32_t state; /* ZX_TASK_* */
    const char *name;
    zx_task_fn fn;
    void *arg;
    uint32_t *wait_word; /* zport_wait(): the word and value */
    uint32_t wait_value;
    uint64_t deadline_ns;
    uint32_t woken; /* set by zx_sched_wake() */
    uint8_t *stack;
    uint32_t stack_size;
    uint32_t switches; /* statistic */
    struct zx_task *next;
} zx_task_t;

#define ZX_TASK_READY   1u
#define ZX_TASK_BLOCKED 2u
#define ZX_TASK_DONE    3u

/* The scheduler's idle policy, supplied by the kernel: poll() is called on
 * every pass of the scheduler loop (completion polling, periodic work);
 * idle() when no task is ready: it must return after at most one timer
 * tick (it halts until the next interrupt). */
typedef struct zx_sched_hooks {
    void (*poll)(void *arg);
    void (*idle)(void *arg);
    void *arg;
} zx_sched_hooks_t;

void zx_task_create(zx_task_t *t, const char *name, zx_task_fn fn, void *arg, uint8_t *stack, uint32_t stack_size);
/* Run every created task until all have returned. */
void zx_sched_run(const zx_sched_hooks_t *hooks);
zx_task_t *zx_task_current(void);
void zx_task_yield(void);
/* Block the current task while *word == expected, until deadline_ns. */
int zx_sched_wait(uint32_t *word, uint32_t expected, uint64_t deadline_ns);
/* Make every task waiting on word ready (any context). */
void zx_sched_wake(uint32_t *word);
/* Ready tasks exist (called with interrupts masked by the idle hook). */
bool zx_sched_has_ready(void);
/* Stack bytes never touched by a task (high-water check). */
uint32_t zx_task_stack_unused(const zx_task_t *t);

#endif /* ZX_H */
