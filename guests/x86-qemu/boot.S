/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot.S - entry of the ZENEDGE guest image (32-bit x86, multiboot 1).
 *
 * QEMU's -kernel loader (and GRUB) finds the multiboot header in the first
 * 8 KiB of the image, loads the ELF segments at their physical addresses
 * (1 MiB, see link.ld) and jumps to _start in 32-bit protected mode with
 * paging off, interrupts off, EAX = 0x2BADB002 and EBX = the physical
 * address of the multiboot information. The segment descriptors it leaves
 * are not guaranteed, so we load our own flat GDT first.
 *
 * Also here: the interrupt entry stubs (one per vector we install) and the
 * cooperative context switch used by sched.c.
 */
    .set MB_MAGIC,    0x1BADB002
    .set MB_FLAGS,    0x00000003      /* bit 0: align modules, bit 1: memory map */
    .set MB_CHECKSUM, -(MB_MAGIC + MB_FLAGS)

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC, MB_FLAGS, MB_CHECKSUM

/* ---------------------------------------------------------------------- */
/* Flat GDT: null, code 0x08 (base 0, 4 GiB, ring 0), data 0x10            */
/* ---------------------------------------------------------------------- */
    .section .rodata
    .balign 8
zx_gdt:
    .quad 0x0000000000000000
    .quad 0x00CF9A000000FFFF
    .quad 0x00CF92000000FFFF
zx_gdt_end:
zx_gdt_desc:
    .word zx_gdt_end - zx_gdt - 1
    .long zx_gdt

    .section .bss
    .balign 16
zx_boot_stack:
    .skip 32768
zx_boot_stack_top:

    .section .text
    .global _start
    .type _start, @function
_start:
    cli
    cld
    movl $zx_boot_stack_top, %esp
    lgdt zx_gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %cx
    movw %cx, %ds
    movw %cx, %es
    movw %cx, %fs
    movw %cx, %gs
    movw %cx, %ss
    pushl $0                      /* eflags: IF off, DF clear */
    popfl
    pushl %ebx                    /* multiboot info (physical = linear) */
    pushl %eax                    /* multiboot magic */
    call zx_kernel_main
    /* zx_kernel_main exits QEMU itself; if the exit device is missing,
     * stop here for good. */
2:  cli
    hlt
    jmp 2b

/* ---------------------------------------------------------------------- */
/* Interrupt entry. Each stub pushes a dummy error code when the CPU does  */
/* not, then its vector, and joins zx_isr_common, which saves the general  */
/* registers and calls zx_isr_dispatch(struct zx_frame *).                 */
/* ---------------------------------------------------------------------- */
.macro ISR_NOERR vec
    .global zx_isr_\vec
zx_isr_\vec:
    pushl $0
    pushl $\vec
    jmp zx_isr_common
.endm
.macro ISR_ERR vec
    .global zx_isr_\vec
zx_isr_\vec:
    pushl $\vec
    jmp zx_isr_common
.endm

    ISR_NOERR 0
    ISR_NOERR 1
    ISR_NOERR 2
    ISR_NOERR 3
    ISR_NOERR 4
    ISR_NOERR 5
    ISR_NOERR 6
    ISR_NOERR 7
    ISR_ERR   8
    ISR_NOERR 9
    ISR_ERR   10
    ISR_ERR   11
    ISR_ERR   12
    ISR_ERR   13
    ISR_ERR   14
    ISR_NOERR 15
    ISR_NOERR 16
    ISR_ERR   17
    ISR_NOERR 18
    ISR_NOERR 19
    ISR_NOERR 32                  /* PIC IRQ 0: PIT */
    ISR_NOERR 39                  /* PIC IRQ 7: spurious */
    ISR_NOERR 47                  /* PIC IRQ 15: spurious */
    ISR_NOERR 65                  /* MSI-X vector 0 of the ivshmem device */
    ISR_NOERR 255                 /* LAPIC spurious */

zx_isr_common:
    pushal
    pushl %esp                    /* struct zx_frame * */
    call zx_isr_dispatch
    addl $4, %esp
    popal
    addl $8, %esp                 /* vector + error code */
    iret

/* ---------------------------------------------------------------------- */
/* void zx_ctx_switch(uint32_t *save_sp, uint32_t load_sp)                 */
/* Saves the callee-saved registers on the current stack, stores the stack */
/* pointer in *save_sp, switches to load_sp and restores the registers     */
/* saved there. EFLAGS is not part of the context: callers switch with     */
/* interrupts masked and restore their own mask afterwards (sched.c).      */
/* ---------------------------------------------------------------------- */
    .global zx_ctx_switch
    .type zx_ctx_switch, @function
zx_ctx_switch:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %eax
    movl %esp, (%eax)
    movl 24(%esp), %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .section .note.GNU-stack, "", @progbits
