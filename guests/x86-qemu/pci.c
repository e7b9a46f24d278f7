/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.c - PCI configuration space through the legacy mechanism #1 (ports
 * 0xCF8 address, 0xCFC data), discovery of the ivshmem device (1af4:1110)
 * and the placement of its BARs below 4 GiB, where a 32-bit guest without
 * paging reaches them directly (physical = linear).
 *
 *  BAR0  32-bit MMIO, 256 bytes: Interrupt Mask/Status, IVPosition, Doorbell
 *  BAR1  32-bit MMIO: MSI-X table and PBA (ivshmem-doorbell only)
 *  BAR2  64-bit prefetchable MMIO: the shared memory (size = the backend's)
 *
 * SeaBIOS normally assigns all three in the 32-bit PCI hole with memory
 * decoding on. When BAR2 is above 4 GiB (large regions, other firmware),
 * unassigned, or when the caller asks for it, we move it to a free window
 * below 4 GiB: the highest size-aligned address under the I/O APIC
 * (0xFEC00000) and above RAM that overlaps no other device's BAR. Every
 * BAR write is read back: the low bits of a BAR are hard-wired by the
 * device's size, so a misaligned address would silently change.
 */
#include "zx.h"
#include "zx_arch.h"

#define PCI_ADDR 0xCF8u
#define PCI_DATA 0xCFCu

#define PCI_CMD         0x04u
#define PCI_CMD_MEM     0x0002u
#define PCI_CMD_MASTER  0x0004u
#define PCI_STATUS_CAPS 0x0010u
#define PCI_BAR(n)      (0x10u + 4u * (n))
#define PCI_CAP_PTR     0x34u
#define PCI_CAP_MSIX    0x11u

#define WINDOW_TOP 0xFEC00000u /* I/O APIC, LAPIC, BIOS above */

static uint32_t cfg_addr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
    return 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xFCu);
}

uint32_t zx_pci_read32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
    zx_outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
    return zx_inl(PCI_DATA);
}

void zx_pci_write32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off, uint32_t v)
{
    zx_outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
    zx_outl(PCI_DATA, v);
}

static uint16_t cfg_read16(const zx_ivshmem_t *d, uint32_t off)
{
    uint32_t w = zx_pci_read32(d->bus, d->dev, d->fn, off & ~3u);
    return (uint16_t)(w >> ((off & 2u) * 8u));
}

static void cfg_write16(const zx_ivshmem_t *d, uint32_t off, uint16_t v)
{
    uint32_t w = zx_pci_read32(d->bus, d->dev, d->fn, off & ~3u);
    uint32_t sh = (off & 2u) * 8u;
    w = (w & ~(0xFFFFu << sh)) | ((uint32_t)v << sh);
    zx_pci_write32(d->bus, d->dev, d->fn, off & ~3u, w);
}

/* Size of a memory BAR (decoding must be off while probing). 0 if none. */
static uint32_t bar_size(uint32_t b, uint32_t dv, uint32_t f, uint32_t n, bool *is64)
{
    uint32_t off = PCI_BAR(n);
    uint32_t orig = zx_pci_read32(b, dv, f, off);
    if (orig & 1u) { /* I/O BAR: not used by ivshmem */
        *is64 = false;
        return 0;
    }
    *is64 = ((orig >> 1) & 3u) == 2u;
    zx_pci_write32(b, dv, f, off, 0xFFFFFFFFu);
    uint32_t mask = zx_pci_read32(b, dv, f, off) & ~0xFu;
    zx_pci_write32(b, dv, f, off, orig);
    if (mask == 0) /* unimplemented, or 4 GiB and more */
        return 0;
    return ~mask + 1u;
}

/* Every memory range [base, base+size) decoded by a device other than d. */
static bool overlaps_other_bar(const zx_ivshmem_t *d, uint32_t base, uint32_t size)
{
    for (uint32_t bus = 0; bus < 256u; bus++) {
        for (uint32_t dev = 0; dev < 32u; dev++) {
            uint32_t nfn = 1;
            for (uint32_t fn = 0; fn < nfn; fn++) {
                uint32_t id = zx_pci_read32(bus, dev, fn, 0);
                if ((id & 0xFFFFu) == 0xFFFFu)
                    continue;
                if (fn == 0 && (zx_pci_read32(bus, dev, 0, 0x0C) & 0x00800000u))
                    nfn = 8;
                if (bus == d->bus && dev == d->dev && fn == d->fn)
                    continue;
                uint32_t hdr = (zx_pci_read32(bus, dev, fn, 0x0C) >> 16) & 0x7Fu;
                uint32_t nbars = hdr == 0 ? 6u : hdr == 1 ? 2u : 0u;
                for (uint32_t n = 0; n < nbars; n++) {
                    uint32_t v = zx_pci_read32(bus, dev, fn, PCI_BAR(n));
                    if (v & 1u)
                        continue;
                    bool is64 = ((v >> 1) & 3u) == 2u;
                    uint32_t hi = is64 ? zx_pci_read32(bus, dev, fn, PCI_BAR(n + 1)) : 0;
                    uint32_t lo = v & ~0xFu;
                    if (is64)
                        n++;
                    if (hi != 0 || lo == 0)
                        continue;
                    /* Size probing would disturb a live device; assume the
                     * smallest granule it could decode and keep a margin. */
                    uint32_t end = lo + 0x1000u;
                    if (lo < base + size && base < end)
                        return true;
                }
            }
        }
    }
    return false;
}

static int find_window(const zx_ivshmem_t *d, uint32_t size, uint32_t ram_top, uint32_t *out)
{
    if (size == 0 || (size & (size - 1u)) != 0 || size > WINDOW_TOP)
        return ZX_E_NO_WINDOW;
    uint32_t a = (WINDOW_TOP - size) & ~(size - 1u);
    for (uint32_t tries = 0; tries < 4096u; tries++) {
        if (a < ram_top)
            break;
        if (!overlaps_other_bar(d, a, size)) {
            *out = a;
            return 0;
        }
        if (a < size)
            break;
        a -= size;
    }
    return ZX_E_NO_WINDOW;
}

static int map_mem_bar32(zx_ivshmem_t *d, uint32_t n, uintptr_t *out)
{
    uint32_t v = zx_pci_read32(d->bus, d->dev, d->fn, PCI_BAR(n));
    if (v & 1u)
        return ZX_E_BAR;
    *out = v & ~0xFu;
    return *out ? 0 : ZX_E_BAR;
}

int zx_ivshmem_find(zx_ivshmem_t *d, uint32_t ram_top, bool force_relocate)
{
    memset(d, 0, sizeof(*d));
    bool found = false;
    for (uint32_t bus = 0; bus < 256u && !found; bus++) {
        for (uint32_t dev = 0; dev < 32u && !found; dev++) {
            uint32_t nfn = 1;
            for (uint32_t fn = 0; fn < nfn && !found; fn++) {
                uint32_t id = zx_pci_read32(bus, dev, fn, 0);
                if ((id & 0xFFFFu) == 0xFFFFu)
                    continue;
                if (fn == 0 && (zx_pci_read32(bus, dev, 0, 0x0C) & 0x00800000u))
                    nfn = 8;
                if ((id & 0xFFFFu) == ZX_IVSHMEM_VENDOR && (id >> 16) == ZX_IVSHMEM_DEVICE) {
                    d->bus = (uint8_t)bus;
                    d->dev = (uint8_t)dev;
                    d->fn = (uint8_t)fn;
                    found = true;
                }
            }
        }
    }
    if (!found)
        return ZX_E_NO_DEVICE;
    d->revision = (uint8_t)zx_pci_read32(d->bus, d->dev, d->fn, 0x08);

    uint16_t cmd = cfg_read16(d, PCI_CMD);
    cfg_write16(d, PCI_CMD, (uint16_t)(cmd & ~PCI_CMD_MEM)); /* decoding off while probing */

    bool is64 = false;
    uint32_t size = bar_size(d->bus, d->dev, d->fn, 2, &is64);
    d->shm_orig_lo = zx_pci_read32(d->bus, d->dev, d->fn, PCI_BAR(2));
    d->shm_orig_hi = is64 ? zx_pci_read32(d->bus, d->dev, d->fn, PCI_BAR(3)) : 0;
    if (size == 0) {
        cfg_write16(d, PCI_CMD, cmd);
        return ZX_E_BAR;
    }
    d->shm_size = size;
    uint32_t lo = d->shm_orig_lo & ~0xFu;
    if (force_relocate || d->shm_orig_hi != 0 || lo == 0) {
        uint32_t base;
        int rc = find_window(d, size, ram_top, &base);
        if (rc != 0) {
            cfg_write16(d, PCI_CMD, cmd);
            return rc;
        }
        zx_pci_write32(d->bus, d->dev, d->fn, PCI_BAR(2), base | (d->shm_orig_lo & 0xFu));
        if (is64)
            zx_pci_write32(d->bus, d->dev, d->fn, PCI_BAR(3), 0);
        uint32_t rb_lo = zx_pci_read32(d->bus, d->dev, d->fn, PCI_BAR(2)) & ~0xFu;
        uint32_t rb_hi = is64 ? zx_pci_read32(d->bus, d->dev, d->fn, PCI_BAR(3)) : 0;
        if (rb_lo != base || rb_hi != 0) {
            zx_printf("pci: BAR2 write 0x%08x read back 0x%08x:%08x\n", base, rb_hi, rb_lo);
            cfg_write16(d, PCI_CMD, cmd);
            return ZX_E_READBACK;
        }
        lo = base;
        d->relocated = true;
    }
    d->shm = lo;

    int rc = map_mem_bar32(d, 0, &d->regs);
    if (rc != 0)
        d->regs = 0; /* a plain device may leave it unused */

    /* MSI-X capability (ivshmem-doorbell): its table lives in BAR1. */
    uint16_t status = (uint16_t)(zx_pci_read32(d->bus, d->dev, d->fn, PCI_CMD) >> 16);
    if (status & PCI_STATUS_CAPS) {
        uint32_t p = zx_pci_read32(d->bus, d->dev, d->fn, PCI_CAP_PTR) & 0xFCu;
        for (uint32_t hops = 0; p != 0 && hops < 48u; hops++) {
            uint32_t w = zx_pci_read32(d->bus, d->dev, d->fn, p);
            if ((w & 0xFFu) == PCI_CAP_MSIX) {
                d->msix_cap = p;
                d->msix_vectors = ((w >> 16) & 0x7FFu) + 1u;
                break;
            }
            p = (w >> 8) & 0xFCu;
        }
    }
    if (d->msix_cap) {
        uint32_t tbl = zx_pci_read32(d->bus, d->dev, d->fn, d->msix_cap + 4u);
        uintptr_t bar;
        if (map_mem_bar32(d, tbl & 7u, &bar) == 0)
            d->msix_bar = bar + (tbl & ~7u);
        else
            d->msix_cap = 0;
    }

    cfg_write16(d, PCI_CMD, (uint16_t)(cmd | PCI_CMD_MEM));
    if ((cfg_read16(d, PCI_CMD) & PCI_CMD_MEM) == 0)
        return ZX_E_READBACK;
    if (d->regs)
        d->ivposition = zx_mmio_read32(d->regs + ZX_IVSHMEM_IVPOSITION);
    return 0;
}

int zx_ivshmem_msix_enable(zx_ivshmem_t *d, uint32_t vector, uint32_t apic_id)
{
    if (d->msix_cap == 0 || d->msix_bar == 0)
        return ZX_E_NO_MSIX;
    uintptr_t e = d->msix_bar;                             /* entry 0 */
    zx_mmio_write32(e + 0, 0xFEE00000u | (apic_id << 12)); /* fixed, physical */
    zx_mmio_write32(e + 4, 0);
    zx_mmio_write32(e + 8, vector); /* edge, fixed delivery */
    zx_mmio_write32(e + 12, 0);     /* unmasked */
    if (zx_mmio_read32(e + 8) != vector)
        return ZX_E_READBACK;
    uint16_t ctl = cfg_read16(d, d->msix_cap + 2u);
    ctl = (uint16_t)((ctl | 0x8000u) & ~0x4000u); /* enable, no function mask */
    cfg_write16(d, d->msix_cap + 2u, ctl);
    uint16_t cmd = cfg_read16(d, PCI_CMD);
    /* MSI messages are memory writes by the device: bus mastering on. */
    cfg_write16(d, PCI_CMD, (uint16_t)(cmd | PCI_CMD_MASTER | PCI_CMD_MEM));
    if ((cfg_read16(d, d->msix_cap + 2u) & 0x8000u) == 0)
        return ZX_E_READBACK;
    return 0;
}

void zx_ivshmem_ring(const zx_ivshmem_t *d, uint32_t peer, uint32_t vector)
{
    if (d->regs)
        zx_mmio_write32(d->regs + ZX_IVSHMEM_DOORBELL, (peer << 16) | (vector & 0xFFFFu));
}
