/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu.c - interrupt descriptor table, the legacy PIC and PIT (the periodic
 * tick that ends every HLT), the local APIC (needed to receive the
 * ivshmem device's MSI-X message), exception reports and the exit through
 * QEMU's isa-debug-exit device.
 *
 * Vectors: 0-19 CPU exceptions (fatal: reported on the console, then exit
 * with ZX_EXIT_FAIL), 0x20-0x2F the PIC's IRQ 0-15 (only IRQ 0, the PIT, is
 * unmasked), 0x41 MSI-X vector 0 of ivshmem-doorbell, 0xFF the APIC's
 * spurious vector.
 */
#include "zx.h"
#include "zx_arch.h"

struct idt_gate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t zero;
    uint8_t type; /* 0x8E: present, ring 0, 32-bit interrupt gate */
    uint16_t off_hi;
} __attribute__((packed));

struct idt_desc {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(8)));

/* Stubs in boot.S */
/* clang-format off */
#define ISR(n) extern void zx_isr_##n(void)
ISR(0); ISR(1); ISR(2); ISR(3); ISR(4); ISR(5); ISR(6); ISR(7); ISR(8); ISR(9);
ISR(10); ISR(11); ISR(12); ISR(13); ISR(14); ISR(15); ISR(16); ISR(17); ISR(18); ISR(19);
ISR(32); ISR(39); ISR(47); ISR(65); ISR(255);
#undef ISR
/* clang-format on */

void zx_isr_dispatch(struct zx_frame *f);

static volatile uint32_t ticks;
static uint32_t tick_hz;
static zx_irq_handler_t msix_fn;
static void *msix_arg;
static volatile uint32_t msix_count;
static uintptr_t lapic_base;

#define PIC1_CMD        0x20u
#define PIC1_DATA       0x21u
#define PIC2_CMD        0xA0u
#define PIC2_DATA       0xA1u
#define PIT_CH0         0x40u
#define PIT_CMD         0x43u
#define PIT_HZ          1193182u
#define DEBUG_EXIT_PORT 0xF4u

static void set_gate(uint32_t vec, void (*fn)(void))
{
    uint32_t a = (uint32_t)(uintptr_t)fn;
    idt[vec].off_lo = (uint16_t)(a & 0xFFFFu);
    idt[vec].sel = 0x08;
    idt[vec].zero = 0;
    idt[vec].type = 0x8E;
    idt[vec].off_hi = (uint16_t)(a >> 16);
}

static void pic_remap(void)
{
    /* ICW1: init, ICW4 follows; ICW2: vector base; ICW3: cascade on IRQ 2;
     * ICW4: 8086 mode. Then mask everything except IRQ 0 (and the cascade). */
    zx_outb(PIC1_CMD, 0x11);
    zx_outb(PIC2_CMD, 0x11);
    zx_outb(PIC1_DATA, 0x20);
    zx_outb(PIC2_DATA, 0x28);
    zx_outb(PIC1_DATA, 0x04);
    zx_outb(PIC2_DATA, 0x02);
    zx_outb(PIC1_DATA, 0x01);
    zx_outb(PIC2_DATA, 0x01);
    zx_outb(PIC1_DATA, 0xFA); /* IRQ 0 and 2 open */
    zx_outb(PIC2_DATA, 0xFF);
}

static void pit_start(uint32_t hz)
{
    uint32_t div = PIT_HZ / hz;
    if (div > 0xFFFFu)
        div = 0xFFFFu;
    if (div < 2u)
        div = 2u;
    zx_outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
    zx_outb(PIT_CH0, (uint8_t)(div & 0xFFu));
    zx_outb(PIT_CH0, (uint8_t)(div >> 8));
    tick_hz = PIT_HZ / div;
}

void zx_cpu_init(uint32_t hz)
{
    set_gate(0, zx_isr_0);
    set_gate(1, zx_isr_1);
    set_gate(2, zx_isr_2);
    set_gate(3, zx_isr_3);
    set_gate(4, zx_isr_4);
    set_gate(5, zx_isr_5);
    set_gate(6, zx_isr_6);
    set_gate(7, zx_isr_7);
    set_gate(8, zx_isr_8);
    set_gate(9, zx_isr_9);
    set_gate(10, zx_isr_10);
    set_gate(11, zx_isr_11);
    set_gate(12, zx_isr_12);
    set_gate(13, zx_isr_13);
    set_gate(14, zx_isr_14);
    set_gate(15, zx_isr_15);
    set_gate(16, zx_isr_16);
    set_gate(17, zx_isr_17);
    set_gate(18, zx_isr_18);
    set_gate(19, zx_isr_19);
    set_gate(ZX_VEC_TIMER, zx_isr_32);
    set_gate(ZX_VEC_PIC_SPUR1, zx_isr_39);
    set_gate(ZX_VEC_PIC_SPUR2, zx_isr_47);
    set_gate(ZX_VEC_MSIX, zx_isr_65);
    set_gate(ZX_VEC_SPURIOUS, zx_isr_255);
    struct idt_desc d = {(uint16_t)(sizeof(idt) - 1u), (uint32_t)(uintptr_t)idt};
    __asm__ __volatile__("lidt %0" ::"m"(d));
    pic_remap();
    pit_start(hz);
}

uint32_t zx_tick_hz(void)
{
    return tick_hz;
}
uint32_t zx_ticks(void)
{
    return ticks;
}
uint32_t zx_msix_count(void)
{
    return msix_count;
}

#define APIC_BASE_MSR   0x1Bu
#define LAPIC_ID        0x020u
#define LAPIC_EOI       0x0B0u
#define LAPIC_SVR       0x0F0u
#define LAPIC_LVT_LINT0 0x350u
#define LAPIC_LVT_LINT1 0x360u

uint32_t zx_lapic_init(void)
{
    uint64_t msr = zx_rdmsr(APIC_BASE_MSR);
    lapic_base = (uintptr_t)(msr & 0xFFFFF000u);
    /* Virtual-wire mode: the PIC keeps reaching the CPU through LINT0
     * (ExtINT), NMI on LINT1; then software-enable the APIC so that fixed
     * interrupts sent by MSI messages are accepted. */
    zx_mmio_write32(lapic_base + LAPIC_LVT_LINT0, 0x00000700u);
    zx_mmio_write32(lapic_base + LAPIC_LVT_LINT1, 0x00000400u);
    zx_mmio_write32(lapic_base + LAPIC_SVR, 0x100u | ZX_VEC_SPURIOUS);
    return zx_mmio_read32(lapic_base + LAPIC_ID) >> 24;
}

void zx_lapic_eoi(void)
{
    if (lapic_base)
        zx_mmio_write32(lapic_base + LAPIC_EOI, 0);
}

void zx_set_msix_handler(zx_irq_handler_t fn, void *arg)
{
    uint32_t f = zx_irq_save();
    msix_fn = fn;
    msix_arg = arg;
    zx_irq_restore(f);
}

void zx_exit(uint32_t code)
{
    zx_irq_disable();
    zx_outl(DEBUG_EXIT_PORT, code);
    for (;;) /* no exit device: stop here */
        __asm__ __volatile__("hlt");
}

static const char *const exc_names[20] = {
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection",
    "page fault",
    "reserved",
    "x87 error",
    "alignment check",
    "machine check",
    "SIMD error",
};

void zx_isr_dispatch(struct zx_frame *f)
{
    switch (f->vector) {
    case ZX_VEC_TIMER:
        ticks++;
        zx_outb(PIC1_CMD, 0x20); /* EOI */
        return;
    case ZX_VEC_MSIX:
        msix_count++;
        if (msix_fn)
            msix_fn(msix_arg);
        zx_lapic_eoi();
        return;
    case ZX_VEC_PIC_SPUR1:
    case ZX_VEC_PIC_SPUR2:
    case ZX_VEC_SPURIOUS: return; /* spurious: no EOI */
    default: break;
    }
    uint32_t cr2;
    __asm__ __volatile__("movl %%cr2, %0" : "=r"(cr2));
    zx_printf("\nFATAL: exception %u (%s) error=0x%x eip=0x%08x eflags=0x%x cr2=0x%08x\n", f->vector,
              f->vector < 20 ? exc_names[f->vector] : "?", f->error, f->eip, f->eflags, cr2);
    zx_printf("  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x\n", f->eax, f->ebx, f->ecx, f->edx,
              f->esi, f->edi, f->ebp);
    zx_exit(ZX_EXIT_FAIL);
}
