/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched.c - a tiny cooperative scheduler: a fixed set of tasks, each with
 * its own stack, run round robin from the boot context (the "scheduler
 * context"). A task gives up the CPU only by yielding, by blocking in
 * zx_sched_wait() (the zport_wait() hook) or by returning.
 *
 * Interrupt handlers never switch tasks: they only mark waiters ready
 * (zx_sched_wake(), called by the completion handler through zport_wake),
 * and the scheduler picks them up on its next pass. Every switch happens
 * with interrupts masked; each side restores its own mask afterwards, so
 * EFLAGS is not part of the saved context (boot.S: zx_ctx_switch).
 *
 * When no task is ready, the kernel's idle hook runs: it polls, then halts
 * until the next interrupt (the PIT tick, or the MSI-X completion
 * interrupt), which also bounds how late a wait deadline is noticed.
 */
#include "zx.h"
#include "zx_arch.h"

#include "zport.h"
#include "zenedge/barrier.h"

void zx_ctx_switch(uint32_t *save_sp, uint32_t load_sp);

#define STACK_FILL 0xA5u

static zx_task_t *tasks; /* list of created tasks */
static zx_task_t *last_run;
static zx_task_t *current;
static uint32_t sched_sp;

zx_task_t *zx_task_current(void)
{
    return current;
}

static void task_entry(void) __attribute__((noreturn));
static void task_entry(void)
{
    zx_task_t *t = current;
    zx_irq_enable(); /* tasks run with interrupts on */
    t->fn(t->arg);
    zx_irq_disable();
    t->state = ZX_TASK_DONE;
    zx_ctx_switch(&t->sp, sched_sp);
    for (;;) /* never resumed */
        __asm__ __volatile__("hlt");
}

void zx_task_create(zx_task_t *t, const char *name, zx_task_fn fn, void *arg, uint8_t *stack, uint32_t stack_size)
{
    memset(t, 0, sizeof(*t));
    t->name = name;
    t->fn = fn;
    t->arg = arg;
    t->stack = stack;
    t->stack_size = stack_size;
    for (uint32_t i = 0; i < stack_size; i++)
        stack[i] = STACK_FILL;
    /* Initial frame popped by zx_ctx_switch: edi, esi, ebx, ebp, then the
     * return address task_entry, above it a dummy return address. */
    uint32_t *sp = (uint32_t *)(void *)(stack + (stack_size & ~15u));
    *--sp = 0; /* task_entry's own (never used) return */
    *--sp = (uint32_t)(uintptr_t)task_entry;
    *--sp = 0; /* ebp */
    *--sp = 0; /* ebx */
    *--sp = 0; /* esi */
    *--sp = 0; /* edi */
    t->sp = (uint32_t)(uintptr_t)sp;
    t->state = ZX_TASK_READY;
    uint32_t f = zx_irq_save();
    t->next = 0;
    zx_task_t **pp = &tasks;
    while (*pp)
        pp = &(*pp)->next;
    *pp = t;
    zx_irq_restore(f);
}

uint32_t zx_task_stack_unused(const zx_task_t *t)
{
    uint32_t n = 0;
    while (n < t->stack_size && t->stack[n] == STACK_FILL)
        n++;
    return n;
}

/* With interrupts masked. */
static void expire_waiters(void)
{
    uint64_t now = 0;
    for (zx_task_t *t = tasks; t; t = t->next) {
        if (t->state != ZX_TASK_BLOCKED)
            continue;
        if (now == 0)
            now = zx_now_ns();
        if (now >= t->deadline_ns || ipc_load_acquire(t->wait_word) != t->wait_value)
            t->state = ZX_TASK_READY;
    }
}

/* With interrupts masked: next ready task after the last one run. */
static zx_task_t *pick(void)
{
    zx_task_t *start = last_run && last_run->next ? last_run->next : tasks;
    zx_task_t *t = start;
    if (!t)
        return 0;
    do {
        if (t->state == ZX_TASK_READY)
            return t;
        t = t->next ? t->next : tasks;
    } while (t != start);
    return 0;
}

bool zx_sched_has_ready(void)
{
    for (zx_task_t *t = tasks; t; t = t->next)
        if (t->state == ZX_TASK_READY)
            return true;
    return false;
}

static bool all_done(void)
{
    for (zx_task_t *t = tasks; t; t = t->next)
        if (t->state != ZX_TASK_DONE)
            return false;
    return true;
}

void zx_sched_run(const zx_sched_hooks_t *hooks)
{
    for (;;) {
        if (hooks->poll)
            hooks->poll(hooks->arg);
        zx_irq_disable();
        expire_waiters();
        zx_task_t *t = pick();
        if (t) {
            current = t;
            last_run = t;
            t->switches++;
            zx_ctx_switch(&sched_sp, t->sp);
            current = 0;
            zx_irq_enable();
            continue;
        }
        if (all_done()) {
            zx_irq_enable();
            return;
        }
        zx_irq_enable();
        if (hooks->idle)
            hooks->idle(hooks->arg);
    }
}

void zx_task_yield(void)
{
    zx_task_t *t = current;
    if (!t)
        return;
    uint32_t f = zx_irq_save();
    t->state = ZX_TASK_READY;
    zx_ctx_switch(&t->sp, sched_sp);
    zx_irq_restore(f);
}

int zx_sched_wait(uint32_t *word, uint32_t expected, uint64_t deadline_ns)
{
    zx_task_t *t = current;
    if (!t)
        return ZPORT_TIMEOUT; /* not a task: the caller polls instead */
    uint32_t f = zx_irq_save();
    if (ipc_load_acquire(word) != expected) {
        zx_irq_restore(f);
        return ZPORT_WOKEN;
    }
    if (zx_now_ns() >= deadline_ns) {
        zx_irq_restore(f);
        return ZPORT_TIMEOUT;
    }
    t->wait_word = word;
    t->wait_value = expected;
    t->deadline_ns = deadline_ns;
    t->woken = 0;
    t->state = ZX_TASK_BLOCKED;
    zx_ctx_switch(&t->sp, sched_sp);
    /* Resumed by the scheduler: woken, word changed, or deadline. */
    uint32_t woken = t->woken;
    t->wait_word = 0;
    zx_irq_restore(f);
    if (woken || ipc_load_acquire(word) != expected)
        return ZPORT_WOKEN;
    return zx_now_ns() >= deadline_ns ? ZPORT_TIMEOUT : ZPORT_WOKEN;
}

void zx_sched_wake(uint32_t *word)
{
    uint32_t f = zx_irq_save();
    for (zx_task_t *t = tasks; t; t = t->next) {
        if (t->state == ZX_TASK_BLOCKED && t->wait_word == word) {
            t->woken = 1;
            t->state = ZX_TASK_READY;
        }
    }
    zx_irq_restore(f);
}
