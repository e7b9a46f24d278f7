/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * console.c - COM1 serial console (16550 UART at I/O 0x3F8, 115200 8N1)
 * and a small printf for the log hook and the kernel's report. Output is
 * polled (the transmitter-empty bit), never interrupt driven, so it can be
 * used from any context, exception handlers included.
 */
#include "zx.h"
#include "zx_arch.h"

#define COM1 0x3F8u

void zx_console_init(void)
{
    zx_outb(COM1 + 1, 0x00); /* no UART interrupts */
    zx_outb(COM1 + 3, 0x80); /* DLAB: divisor follows */
    zx_outb(COM1 + 0, 0x01); /* 115200 baud */
    zx_outb(COM1 + 1, 0x00);
    zx_outb(COM1 + 3, 0x03); /* 8 bits, no parity, 1 stop */
    zx_outb(COM1 + 2, 0xC7); /* FIFO on, cleared, 14-byte threshold */
    zx_outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void zx_putc(char c)
{
    /* Bounded wait for the transmitter holding register (a missing UART
     * reads 0xFF and never blocks us). */
    for (uint32_t i = 0; i < 100000u && (zx_inb(COM1 + 5) & 0x20u) == 0; i++)
        ;
    zx_outb(COM1, (uint8_t)c);
}

void zx_puts(const char *s)
{
    while (*s)
        zx_putc(*s++);
}

static void put_padded(const char *s, uint32_t len, uint32_t width, bool left, char pad)
{
    if (!left)
        for (uint32_t i = len; i < width; i++)
            zx_putc(pad);
    for (uint32_t i = 0; i < len; i++)
        zx_putc(s[i]);
    if (left)
        for (uint32_t i = len; i < width; i++)
            zx_putc(' ');
}

static void put_number(uint64_t v, uint32_t base, bool upper, bool neg, uint32_t width, bool left, char pad)
{
    char buf[24];
    uint32_t n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        uint64_t r;
        if ((v >> 32) == 0) {
            uint32_t v32 = (uint32_t)v;
            r = v32 % base;
            v = v32 / base;
        } else {
            v = zx_udivmod64(v, base, &r);
        }
        buf[sizeof(buf) - 1 - n++] = digits[r];
    } while (v != 0 && n < sizeof(buf) - 1);
    if (neg) {
        if (pad == '0') { /* sign before the zeros */
            zx_putc('-');
            if (width > 0)
                width--;
        } else {
            buf[sizeof(buf) - 1 - n++] = '-';
        }
    }
    put_padded(&buf[sizeof(buf) - n], n, width, left, pad);
}

void zx_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            zx_putc(*fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        uint32_t width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10u + (uint32_t)(*fmt++ - '0');
        uint32_t lng = 0;
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        if (*fmt == 'z') { /* size_t is 32 bits here */
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
            bool neg = v < 0;
            put_number(neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10, false, neg, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng >= 2   ? va_arg(ap, unsigned long long)
                         : lng == 1 ? va_arg(ap, unsigned long)
                                    : va_arg(ap, unsigned int);
            put_number(v, *fmt == 'u' ? 10u : 16u, *fmt == 'X', false, width, left, pad);
            break;
        }
        case 'p':
            zx_puts("0x");
            put_number((uintptr_t)va_arg(ap, void *), 16, false, false, 8, false, '0');
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(&c, 1, width, left, ' ');
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == 0)
                s = "(null)";
            uint32_t n = 0;
            while (s[n])
                n++;
            put_padded(s, n, width, left, ' ');
            break;
        }
        case '%': zx_putc('%'); break;
        case '\0': return;
        default: /* unknown conversion: show it */
            zx_putc('%');
            zx_putc(*fmt);
            break;
        }
    }
}

void zx_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zx_vprintf(fmt, ap);
    va_end(ap);
}
