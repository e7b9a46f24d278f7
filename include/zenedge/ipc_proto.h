/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_proto.h - the ZENEDGE <-> Linux bridge wire protocol.
 *
 * This header is shared verbatim by both sides of the shared region: the
 * ZENEDGE proxy driver (freestanding, any pointer width, any endianness that
 * is little) and zenedge-bridged (Linux, 64-bit). It includes only
 * <stdint.h>, <stddef.h> and <stdbool.h> and declares no function.
 *
 * Conventions used on every shared word below
 * -------------------------------------------
 *   writer: zenedge | bridge   the only side that ever stores to the word.
 *                              The other side only loads it.
 *   read: acquire | once | plain
 *                              how the other side loads it (see barrier.h):
 *                              "acquire" words publish other data; "once"
 *                              words are read untorn with no ordering;
 *                              "plain" words are only read after an acquire
 *                              that publishes them.
 *   Every value read from the region is untrusted by the reader: it is
 *   copied once, validated against the limits below, then used.
 *
 * Position independence: no word in the region holds a pointer. Objects are
 * named by byte offsets from the start of the region (uint32_t), so the two
 * sides may map the region at different addresses and with different
 * pointer widths (a 32-bit guest and a 64-bit host).
 *
 * Byte order: little-endian on both sides (every supported target is).
 *
 * Region layout (offsets in bytes, all cache-line aligned; see
 * docs/protocol.md for the drawing to scale):
 *
 *   0                      ipc_region_hdr_t (4 cache lines)
 *   sq_off[0..n_sq-1]      submission rings, one per QoS class by default;
 *                          producer zenedge, consumer bridge
 *   cq_off                 completion ring; producer bridge, consumer zenedge
 *   jobs_off               job-descriptor table: max_jobs x ipc_job_desc_t
 *   heap_off .. +heap_size tensor heap, allocated by the zenedge side only
 *   region_size            end
 *
 * Versioning rule: a reader refuses a region whose version_major differs
 * from its own IPC_VERSION_MAJOR. A minor version only ever appends fields
 * to the end of a structure (hdr_size grows) or defines new feature bits;
 * a reader accepts any minor, ignores header bytes past the size it knows,
 * refuses a region that sets a feature bit in IPC_FEAT_REQUIRED_MASK that
 * it does not know, and ignores unknown bits in IPC_FEAT_OPTIONAL_MASK.
 * A word that takes the place of padding is only meaningful under a
 * feature bit that says it was written.
 *
 * History: 1.0 first version. 1.1 ipc_side_t.sq_tail_at_start[] (in the
 * side block's former padding) under IPC_FEAT_START_TAILS. 1.2 the job
 * trace (IPC_FEAT_JOB_TRACE): a header line appended (hdr_size 320,
 * ipc_hdr_trace_t) naming a ring of completed-job records
 * (ipc_trace_area_t, ipc_trace_rec_t) laid out after the job table.
 */
#ifndef ZENEDGE_IPC_PROTO_H
#define ZENEDGE_IPC_PROTO_H

/* Hand-aligned: the writer and ordering of every word read as columns. */
/* clang-format off */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
/* C++ (11 and later) spells the wire-layout checks below static_assert. */
#ifndef _Static_assert
#define _Static_assert static_assert
#endif
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Constants                                                               */
/* ---------------------------------------------------------------------- */

#define IPC_VERSION_MAJOR     1u
#define IPC_VERSION_MINOR     2u

#define IPC_REGION_MAGIC      0x5A454447u  /* "ZEDG" little-endian bytes G D E Z */
#define IPC_RING_MAGIC        0x51DECA9Eu  /* the original "SIDECAR" ring magic */

/* Layout granule. Shared words written by different sides never share one
 * of these. 64 bytes covers x86-64, Cortex-A/R and RISC-V cores we target. */
#define IPC_CACHELINE         64u

/* QoS classes. Lower value = more urgent. Submission ring i carries class i;
 * if a region has fewer rings than classes, classes >= n_sq share the last
 * ring (ipc_qos_ring()). */
#define IPC_QOS_RT            0u
#define IPC_QOS_HIGH          1u
#define IPC_QOS_NORMAL        2u
#define IPC_QOS_BACKGROUND    3u
#define IPC_QOS_COUNT         4u

#define IPC_MAX_SQ            8u     /* entries in the ring table */
#define IPC_MAX_TENSORS       4u     /* inputs, and outputs, per job */

/* Ring sizes are powers of two, in packets. */
#define IPC_RING_MIN_SLOTS    2u
#define IPC_RING_MAX_SLOTS    65536u

/* Jobs. A job handle (the payload_id of RUN_MODEL, PING and their answers)
 * is (generation << IPC_SLOT_BITS) | slot. The slot indexes the
 * job-descriptor table; the generation changes every time the zenedge side
 * reuses the slot, so a late or duplicated answer for an older use of the
 * slot is recognised. Generation 0 is never used: handle 0 is invalid. */
#define IPC_SLOT_BITS         12u
#define IPC_MAX_JOBS          (1u << IPC_SLOT_BITS)     /* 4096 */
#define IPC_SLOT_MASK         (IPC_MAX_JOBS - 1u)
#define IPC_GEN_MASK          (0xFFFFFFFFu >> IPC_SLOT_BITS)
#define IPC_HANDLE(gen, slot) ((uint32_t)(((uint32_t)(gen) << IPC_SLOT_BITS) | ((uint32_t)(slot) & IPC_SLOT_MASK)))
#define IPC_HANDLE_SLOT(h)    ((uint32_t)(h) & IPC_SLOT_MASK)
#define IPC_HANDLE_GEN(h)     ((uint32_t)(h) >> IPC_SLOT_BITS)

/* Smallest and largest region the layout rules accept. */
#define IPC_REGION_MIN_SIZE   4096u
#define IPC_REGION_MAX_SIZE   0xFFFFF000u  /* offsets are 32-bit */

/* ---------------------------------------------------------------------- */
/* Commands (ipc_packet_t.cmd)                                             */
/* ---------------------------------------------------------------------- */

enum ipc_cmd {
    CMD_INVALID       = 0x0000, /* zeroed memory is never a command */

    /* Submissions: zenedge -> bridge, on a submission ring. */
    CMD_PING          = 0x0001, /* payload_id: job handle; answered by CMD_PONG */
    CMD_RUN_MODEL     = 0x0002, /* payload_id: job handle; descriptor at slot */
    CMD_EXECUTE_MODEL = CMD_RUN_MODEL, /* the original architecture's name */

    /* Completions: bridge -> zenedge, on the completion ring. */
    CMD_PONG          = 0x0081, /* payload_id: the PING's handle; flags: status */
    CMD_JOB_DONE      = 0x0082, /* payload_id: the job's handle; flags: status */
    CMD_ERROR         = 0x0083  /* a submission the bridge could not attribute
                                   to a job (unknown cmd, bad handle):
                                   payload_id: the offending payload_id echoed;
                                   flags: status; timestamp: the offending cmd */
};

/* Completion status (the flags of CMD_PONG / CMD_JOB_DONE / CMD_ERROR).
 * Every value is distinct so that the zenedge side can count each kind. */
enum ipc_status {
    IPC_STATUS_OK                = 0,  /* job ran, outputs written */
    IPC_STATUS_BAD_CMD           = 1,  /* cmd not a submission command */
    IPC_STATUS_BAD_FLAGS         = 2,  /* submission flags not zero */
    IPC_STATUS_BAD_SLOT          = 3,  /* handle's slot >= max_jobs, or gen 0 */
    IPC_STATUS_STALE             = 4,  /* descriptor's handle != packet's */
    IPC_STATUS_BAD_MODEL         = 5,  /* model_id not in the bridge's registry */
    IPC_STATUS_BAD_QOS           = 6,  /* qos >= IPC_QOS_COUNT or not the ring's */
    IPC_STATUS_BAD_TENSOR_COUNT  = 7,  /* n_in / n_out differ from the model */
    IPC_STATUS_BAD_TENSOR_RANGE  = 8,  /* a tensor not inside the tensor heap */
    IPC_STATUS_BAD_TENSOR_SIZE   = 9,  /* a tensor length differs from the model */
    IPC_STATUS_BAD_DESC          = 10, /* reserved descriptor words not zero */
    IPC_STATUS_BACKEND_ERROR     = 11, /* the backend failed to run the job */
    IPC_STATUS_CANCELLED         = 12, /* cancel word was set before pickup */
    IPC_STATUS_EXPIRED           = 13, /* timeout elapsed before the job started */
    IPC_STATUS_SHUTDOWN          = 14, /* bridge stopping; job not run */
    IPC_STATUS_COUNT             = 15
};

/* Submission packet flags: none defined in 1.0; must be zero. */
#define IPC_PKT_FLAGS_NONE    0u

/* ---------------------------------------------------------------------- */
/* Packet: exactly 16 bytes, kept as in the original architecture          */
/* ---------------------------------------------------------------------- */

typedef struct ipc_packet {
    uint16_t cmd;        /* enum ipc_cmd */
    uint16_t flags;      /* submissions: 0; completions: enum ipc_status */
    uint32_t payload_id; /* a job handle (never a pointer) */
    uint64_t timestamp;  /* ns, in the writer's clock (see IPC_FEAT_SHARED_CLOCK):
                            submit time on submissions, completion time on
                            completions */
} ipc_packet_t;

/* ---------------------------------------------------------------------- */
/* Ring: single producer, single consumer                                  */
/* ---------------------------------------------------------------------- */
/*
 * Deviations from the original struct {magic, head, tail, size, data[]}
 * (the figures are in docs/protocol.md, measured by zenedge-bench layout):
 *  - head and tail each sit alone on a cache line, and the immutable words
 *    (magic, size) on a third, so the producer's stores to head never
 *    invalidate the line the consumer writes tail to (false sharing);
 *  - head and tail are free-running 32-bit counters (never wrapped to the
 *    ring size): head - tail is the fill level even when full, so no slot
 *    is sacrificed, and the index of a slot is counter & (size - 1);
 *  - size is a power of two so that mask replaces a division;
 *  - data[] holds ipc_packet_t, not bytes.
 *
 * Ordering (labels are used at the accesses in core/ipc_ring.c):
 *  R1 producer: writes packets into slots [head, head+n), then
 *     store-release head = head+n.  Pairs with A1.
 *  A1 consumer: load-acquire head, then reads slots [tail, head).
 *  R2 consumer: finishes reading slots [tail, tail+n), then store-release
 *     tail = tail+n.  Pairs with A2.
 *  A2 producer: load-acquire tail before overwriting slots below tail+size.
 * Each side keeps a private copy of the counter it owns and never re-reads
 * it from the region; the peer's counter is validated (head - tail <= size)
 * before use.
 */
typedef struct ipc_ring {
    /* line 0: identity. writer: zenedge, once, at region init; read: plain
     * (published by the region magic, IPC_REGION_MAGIC, store-release). */
    uint32_t magic;      /* IPC_RING_MAGIC */
    uint32_t size;       /* slots in data[], power of two */
    uint32_t ring_id;    /* 0..n_sq-1 for submission rings, IPC_RING_ID_CQ */
    uint32_t producer;   /* IPC_SIDE_ZENEDGE or IPC_SIDE_BRIDGE */
    uint8_t  pad0[IPC_CACHELINE - 16];

    /* line 1. writer: the producer only; read: acquire (A1). Free-running. */
    uint32_t head;
    uint8_t  pad1[IPC_CACHELINE - 4];

    /* line 2. writer: the consumer only; read: acquire (A2). Free-running. */
    uint32_t tail;
    uint8_t  pad2[IPC_CACHELINE - 4];

    /* packets; slot i lives at data[i & (size - 1)]. writer: producer;
     * read: plain, after A1. */
    ipc_packet_t data[];
} ipc_ring_t;

#define IPC_RING_ID_CQ        0xC0u
#define IPC_RING_BYTES(slots) ((uint32_t)sizeof(ipc_ring_t) + (uint32_t)(slots) * (uint32_t)sizeof(ipc_packet_t))

/* ---------------------------------------------------------------------- */
/* Region header                                                           */
/* ---------------------------------------------------------------------- */

#define IPC_SIDE_ZENEDGE      1u
#define IPC_SIDE_BRIDGE       2u

/* ipc_side_t.state */
#define IPC_STATE_OFFLINE     0u  /* never started, or stopped cleanly */
#define IPC_STATE_STARTING    1u  /* attaching / initialising */
#define IPC_STATE_READY       2u  /* serving */
#define IPC_STATE_STOPPING    3u  /* draining; new work is answered SHUTDOWN */

/* Feature bits (ipc_region_hdr_t.features, set by zenedge at init).
 * Bits 0..15 must be understood by the reader (refuse otherwise); bits
 * 16..31 may be ignored. */
#define IPC_FEAT_REQUIRED_MASK 0x0000FFFFu
#define IPC_FEAT_OPTIONAL_MASK 0xFFFF0000u
/* Both sides take timestamps from one clock (same host, CLOCK_MONOTONIC),
 * so differences across sides are meaningful. Without it only differences
 * between timestamps written by the same side are. (optional) */
#define IPC_FEAT_SHARED_CLOCK  (1u << 16)
/* The zenedge side maintains the needs-wake-up handshake, so the bridge must
 * ring its doorbell when zenedge's needs_wakeup is set. (optional) */
#define IPC_FEAT_NEED_WAKEUP   (1u << 17)
/* The region is not cache-coherent between the sides; each side cleans and
 * invalidates around every shared access. (required) */
#define IPC_FEAT_NONCOHERENT   (1u << 0)
/* 1.2: the header is followed by ipc_hdr_trace_t (hdr_size >= 320) naming
 * the job trace area, written by the zenedge side only. The bridge never
 * reads it. (optional) */
#define IPC_FEAT_JOB_TRACE     (1u << 19)
#define IPC_FEAT_KNOWN         (IPC_FEAT_SHARED_CLOCK | IPC_FEAT_NEED_WAKEUP | IPC_FEAT_NONCOHERENT | \
                                IPC_FEAT_JOB_TRACE)
/* Side-only bit: set by the bridge in its ipc_side_t.features (never in
 * the region header) when it filled sq_tail_at_start[] for this epoch.
 * A zenedge side that does not know it ignores it; one that knows it but
 * finds it clear falls back to its own snapshot of the tails. (optional) */
#define IPC_FEAT_START_TAILS   (1u << 18)

/*
 * Per-side liveness and doorbell words: one cache line, one writer.
 *
 * Liveness ordering (labels used at the accesses on both sides; what the
 * ZENEDGE side makes of them, step by step: docs/protocol.md, "Bridge loss
 * and restart"):
 *  L1 state: a side writes its other words of this line (features,
 *     hb_period_us, ...), then store-release state; the peer load-acquires
 *     state before it reads them.
 *  L2 epoch: a starting side writes sq_tail_at_start[] and features (with
 *     IPC_FEAT_START_TAILS), then store-release epoch; the peer
 *     load-acquires epoch and, when it changed, only then reads them.
 *  L3 heartbeat: written once (untorn, no ordering) every hb_period_us by
 *     its side only, read once by the peer: only its movement matters.
 *  L4 start tails: read once after the L2 acquire of a new epoch; untrusted,
 *     each checked against the reader's own head before use.
 *
 * needs_wakeup handshake (Dekker-style, labels used in the code):
 *  W1 a side about to sleep: store needs_wakeup = 1, ipc_fence(), re-check
 *     its input rings; if work is there, store needs_wakeup = 0 and go on,
 *     else sleep on its doorbell.
 *  W2 a side that published work (store-release head): ipc_fence(), load
 *     the peer's needs_wakeup; if set, ring the peer's doorbell.
 *  The two full fences guarantee that at least one side sees the other's
 *  store, so a wake-up is never lost and no doorbell is rung while the
 *  peer is busy polling.
 */
typedef struct ipc_side {
    uint32_t state;        /* IPC_STATE_*.            read: acquire (L1) */
    uint32_t epoch;        /* +1 at every start of this side. read: acquire (L2) */
    uint32_t heartbeat;    /* +1 every hb_period_us while alive. read: once (L3) */
    uint32_t needs_wakeup; /* 1: sleeping, ring my doorbell (W1/W2). read: once after fence */
    uint32_t features;     /* feature bits this side accepted. read: once */
    uint32_t hb_period_us; /* heartbeat period this side promises. read: once */
    uint32_t doorbells;    /* doorbells this side has rung (statistic). read: once */
    uint32_t wakeups;      /* times this side slept and was woken (statistic). read: once */
    /* Bridge side only (0 on the zenedge side): the tail of each submission
     * ring as this bridge instance adopted it at attach, before it
     * dequeued anything; 0 beyond n_sq. Written with plain stores before
     * the store-release of `epoch` (with IPC_FEAT_START_TAILS in
     * `features`) (L2); read by zenedge after it load-acquired a new
     * epoch. Every packet below it was dequeued by an earlier instance,
     * which can no longer answer it; every packet from it on is this
     * instance's to answer. What zenedge does with it: docs/protocol.md,
     * "Bridge loss and restart", steps 4-6. Untrusted: each value must lie
     * within one ring behind zenedge's own head, else it is ignored and
     * counted. read: once (L4) */
    uint32_t sq_tail_at_start[IPC_MAX_SQ];
} ipc_side_t;

typedef struct ipc_region_hdr {
    /* line 0: identity and layout. writer: zenedge, at init, with magic
     * stored last (store-release); the bridge load-acquires magic, then
     * copies the whole header once and validates the copy. */
    uint32_t magic;          /* IPC_REGION_MAGIC; 0 while (re)initialising */
    uint16_t version_major;  /* IPC_VERSION_MAJOR */
    uint16_t version_minor;  /* IPC_VERSION_MINOR */
    uint32_t hdr_size;       /* sizeof(ipc_region_hdr_t) of the writer */
    uint32_t region_size;    /* bytes, whole region */
    uint32_t features;       /* IPC_FEAT_* */
    uint32_t cacheline;      /* IPC_CACHELINE of the writer */
    uint32_t n_sq;           /* submission rings, 1..IPC_MAX_SQ */
    uint32_t sq_slots;       /* slots per submission ring, power of two */
    uint32_t cq_slots;       /* slots of the completion ring, power of two,
                                >= max_jobs: one slot for every job that can
                                be in flight, so no completion is dropped */
    uint32_t max_jobs;       /* descriptors in the table, 1..IPC_MAX_JOBS */
    uint32_t job_desc_size;  /* sizeof(ipc_job_desc_t) */
    uint32_t cq_off;         /* offset of the completion ring */
    uint32_t jobs_off;       /* offset of the job-descriptor table */
    uint32_t heap_off;       /* offset of the tensor heap */
    uint32_t heap_size;      /* bytes of the tensor heap */
    uint32_t reserved0;      /* 0 */

    /* line 1: ring table. writer: zenedge at init; read: plain (as line 0). */
    uint32_t sq_off[IPC_MAX_SQ];     /* offsets of submission rings 0..n_sq-1; 0 beyond */
    uint32_t sq_weight[IPC_MAX_SQ];  /* suggested arbitration weight per ring (0 = bridge default) */

    /* line 2: the zenedge side. writer: zenedge. */
    ipc_side_t zen;
    /* line 3: the bridge side. writer: bridge. */
    ipc_side_t bridge;
} ipc_region_hdr_t;

/* ---------------------------------------------------------------------- */
/* Job descriptor: table entry in the region, one per job slot             */
/* ---------------------------------------------------------------------- */

/* A tensor: a byte range of the tensor heap, named by region offset. */
typedef struct ipc_tensor_ref {
    uint32_t off;   /* byte offset from the start of the region */
    uint32_t len;   /* bytes */
} ipc_tensor_ref_t;

/*
 * Ordering: zenedge fills lines 0-1 with plain stores, then publishes the
 * job by the RUN_MODEL packet (R1 on the submission ring); the bridge reads
 * them after A1. The bridge fills line 2 with plain stores, then publishes
 * it by the completion packet (R1 on the completion ring); zenedge reads it
 * after A1. The cancel word is the only word stored while the job is in
 * flight; it is read once (store/load once), and its effect is advisory:
 * zenedge reports CANCELLED itself and keeps the slot until the answer.
 */
typedef struct ipc_job_desc {
    /* lines 0-1: the request. writer: zenedge; read: plain after A1. */
    uint32_t handle;         /* must equal the packet's payload_id */
    uint32_t model_id;       /* registry id */
    uint8_t  qos;            /* IPC_QOS_*; must map to the ring it came on */
    uint8_t  n_in;           /* inputs used, 0..IPC_MAX_TENSORS */
    uint8_t  n_out;          /* outputs used, 0..IPC_MAX_TENSORS */
    uint8_t  req_flags;      /* 0 in 1.0 */
    uint32_t timeout_us;     /* budget from pickup; 0 = none. A job not started
                                within it is answered EXPIRED */
    uint64_t t_submit;       /* ns, zenedge clock: contract_submit_job() entry */
    uint32_t cancel;         /* writer zenedge, any time; read once at pickup */
    uint32_t reserved0;      /* 0 */
    ipc_tensor_ref_t in[IPC_MAX_TENSORS];
    ipc_tensor_ref_t out[IPC_MAX_TENSORS];
    uint8_t  pad0[2 * IPC_CACHELINE - 96];

    /* line 2: the answer. writer: bridge; read: plain after A1 on the CQ. */
    uint64_t t_pickup;       /* ns, bridge clock: packet dequeued */
    uint64_t t_backend_start;/* ns, bridge clock: backend began */
    uint64_t t_backend_end;  /* ns, bridge clock: backend finished */
    uint64_t t_complete;     /* ns, bridge clock: completion posted */
    uint64_t backend_ns;     /* device time of the job as the backend measured
                                it (GPU events on CUDA, profiling on OpenCL);
                                the zenedge side clamps it before charging */
    uint32_t bridge_epoch;   /* the bridge epoch that ran the job */
    uint32_t result;         /* model-specific small result (0 if none) */
    uint8_t  pad1[IPC_CACHELINE - 48];

    /* line 3: zenedge trace. writer: zenedge; the bridge never reads it. */
    uint64_t t_complete_seen;/* ns, zenedge clock: completion handler ran */
    uint64_t t_wake;         /* ns, zenedge clock: waiting task resumed */
    uint8_t  pad2[IPC_CACHELINE - 16];
} ipc_job_desc_t;

/* ---------------------------------------------------------------------- */
/* Job trace (1.2, IPC_FEAT_JOB_TRACE): completed jobs, newest last         */
/* ---------------------------------------------------------------------- */
/*
 * A fixed ring of records, one per job its task collected (whatever its
 * end: done, failed, timed out, cancelled, bridge lost), written by the
 * zenedge side only, never read by the bridge; an inspector (zenedge-ipc
 * trace) reads it to stream every job. Record n (0-based, counting from
 * the region's initialisation) lives in slot n & (slots - 1); when the
 * reader falls more than `slots` records behind, the oldest are
 * overwritten: it detects that and counts them lost, it never reads a
 * torn record as a good one.
 *
 * Ordering (labels used at the accesses in rtos/job_trace.c and
 * tools/zenedge_ipc.c):
 *  T1 writer, record n: write-once seq = 0, ipc_fence(), every other word
 *     of the record (write-once, 32-bit words), then store-release
 *     seq = n + 1, then store-release head = n + 1.
 *  T2 reader: load-acquire head (pairs with the release of head); for a
 *     record n < head: load-acquire seq (pairs with the release of seq),
 *     copy the words (read-once), ipc_fence(), read-once seq again. The
 *     copy is good only if both reads of seq equal n + 1; anything else
 *     (0: being rewritten, larger: overwritten) counts the record lost.
 *     head - n > slots: overwritten before it was read, lost.
 * Every word is untrusted: a reader checks the record's place (seq) and
 * never indexes with a value from the record.
 */

/* Header line 4 (appended in 1.2, present when hdr_size >= 320 and the
 * header's features have IPC_FEAT_JOB_TRACE). writer: zenedge at init;
 * read: plain after the acquire of magic, copied once and validated. */
typedef struct ipc_hdr_trace {
    uint32_t trace_off;      /* offset of the trace area (ipc_trace_area_t) */
    uint32_t trace_slots;    /* records in the ring, power of two */
    uint32_t trace_rec_size; /* sizeof(ipc_trace_rec_t) */
    uint32_t reserved[13];   /* 0 */
} ipc_hdr_trace_t;

#define IPC_HDR_SIZE_1_0       (4u * IPC_CACHELINE)  /* 1.0 and 1.1 headers */
#define IPC_HDR_SIZE_TRACE     (5u * IPC_CACHELINE)  /* with ipc_hdr_trace_t */
#define IPC_TRACE_MIN_SLOTS    2u
#define IPC_TRACE_MAX_SLOTS    65536u

/* ipc_trace_rec_t.end: how the job ended for its task. */
#define IPC_TRACE_END_OK        0u  /* answered IPC_STATUS_OK, outputs taken */
#define IPC_TRACE_END_FAILED    1u  /* answered with another status (ipc_status) */
#define IPC_TRACE_END_TIMED_OUT 2u  /* deadline passed first */
#define IPC_TRACE_END_CANCELLED 3u
#define IPC_TRACE_END_LOST      4u  /* bridge lost or restarted */
#define IPC_TRACE_END_OTHER     5u

/* One collected job: two cache lines. writer: zenedge (T1); read: T2.
 * Timestamps in ns as in the descriptor (bridge clock for t_pickup ..
 * t_complete, zenedge clock for the others); 0: the stage did not
 * happen. */
typedef struct ipc_trace_rec {
    uint32_t seq;            /* record number + 1; 0 while written (T1) */
    uint32_t handle;         /* the job's handle */
    uint32_t model_id;
    uint8_t  qos;            /* IPC_QOS_* */
    uint8_t  end;            /* IPC_TRACE_END_* */
    uint16_t ipc_status;     /* the bridge's answer (enum ipc_status), or
                                IPC_STATUS_COUNT when it did not answer */
    uint32_t result;         /* the model's small result word */
    uint32_t bridge_epoch;   /* the bridge epoch that answered, 0 if none */
    uint32_t tag;            /* the submitter's number (its account's
                                trace_tag, e.g. a task or contract), 0 if none */
    uint32_t reserved0;      /* 0 */
    uint64_t t_submit;       /* zenedge clock */
    uint64_t t_pickup;       /* bridge clock */
    uint64_t t_backend_start;
    uint64_t t_backend_end;
    uint64_t t_complete;
    uint64_t t_complete_seen;/* zenedge clock from here on */
    uint64_t t_wait_call;    /* the task called the wait that collected it */
    uint64_t t_wake;         /* the task had its result */
    uint64_t backend_ns;     /* device time the bridge reported */
    uint8_t  pad[2 * IPC_CACHELINE - 104];
} ipc_trace_rec_t;

/* The area: one control line, then trace_slots records. */
typedef struct ipc_trace_area {
    uint32_t head;           /* records written since init. writer: zenedge;
                                read: acquire (T2) */
    uint8_t  pad[IPC_CACHELINE - 4];
    ipc_trace_rec_t rec[];
} ipc_trace_area_t;

#define IPC_TRACE_BYTES(slots) ((uint32_t)sizeof(ipc_trace_area_t) + (uint32_t)(slots) * (uint32_t)sizeof(ipc_trace_rec_t))

/* ---------------------------------------------------------------------- */
/* Helpers (pure, no shared-memory access)                                 */
/* ---------------------------------------------------------------------- */

static inline bool ipc_is_pow2(uint32_t x) { return x != 0u && (x & (x - 1u)) == 0u; }

/* A ring size the protocol allows: a power of two in [IPC_RING_MIN_SLOTS,
 * IPC_RING_MAX_SLOTS]. Always inline, so that a size known at compile
 * time (ZEN_CFG_FIXED_LAYOUT) folds the check away. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline bool ipc_ring_slots_ok(uint32_t slots)
{
    return (slots & (slots - 1u)) == 0u && slots >= IPC_RING_MIN_SLOTS && slots <= IPC_RING_MAX_SLOTS;
}

/* The submission ring that carries QoS class qos in a region of n_sq rings. */
static inline uint32_t ipc_qos_ring(uint32_t qos, uint32_t n_sq)
{
    return qos < n_sq ? qos : n_sq - 1u;
}

/* ---------------------------------------------------------------------- */
/* Layout assertions: every size and offset the other side depends on     */
/* ---------------------------------------------------------------------- */

_Static_assert(sizeof(ipc_packet_t) == 16, "packet is exactly 16 bytes");
_Static_assert(offsetof(ipc_packet_t, cmd) == 0, "packet.cmd");
_Static_assert(offsetof(ipc_packet_t, flags) == 2, "packet.flags");
_Static_assert(offsetof(ipc_packet_t, payload_id) == 4, "packet.payload_id");
_Static_assert(offsetof(ipc_packet_t, timestamp) == 8, "packet.timestamp");

_Static_assert(offsetof(ipc_ring_t, magic) == 0, "ring.magic");
_Static_assert(offsetof(ipc_ring_t, size) == 4, "ring.size");
_Static_assert(offsetof(ipc_ring_t, ring_id) == 8, "ring.ring_id");
_Static_assert(offsetof(ipc_ring_t, producer) == 12, "ring.producer");
_Static_assert(offsetof(ipc_ring_t, head) == 1 * IPC_CACHELINE, "ring.head on its own line");
_Static_assert(offsetof(ipc_ring_t, tail) == 2 * IPC_CACHELINE, "ring.tail on its own line");
_Static_assert(offsetof(ipc_ring_t, data) == 3 * IPC_CACHELINE, "ring.data");
_Static_assert(sizeof(ipc_ring_t) == 3 * IPC_CACHELINE, "ring header is 3 lines");

_Static_assert(sizeof(ipc_side_t) == IPC_CACHELINE, "side block is one line");
_Static_assert(offsetof(ipc_side_t, state) == 0, "side.state");
_Static_assert(offsetof(ipc_side_t, epoch) == 4, "side.epoch");
_Static_assert(offsetof(ipc_side_t, heartbeat) == 8, "side.heartbeat");
_Static_assert(offsetof(ipc_side_t, needs_wakeup) == 12, "side.needs_wakeup");
_Static_assert(offsetof(ipc_side_t, features) == 16, "side.features");
_Static_assert(offsetof(ipc_side_t, hb_period_us) == 20, "side.hb_period_us");
_Static_assert(offsetof(ipc_side_t, doorbells) == 24, "side.doorbells");
_Static_assert(offsetof(ipc_side_t, wakeups) == 28, "side.wakeups");
_Static_assert(offsetof(ipc_side_t, sq_tail_at_start) == 32, "side.sq_tail_at_start");

_Static_assert(offsetof(ipc_region_hdr_t, magic) == 0, "hdr.magic");
_Static_assert(offsetof(ipc_region_hdr_t, version_major) == 4, "hdr.version_major");
_Static_assert(offsetof(ipc_region_hdr_t, version_minor) == 6, "hdr.version_minor");
_Static_assert(offsetof(ipc_region_hdr_t, hdr_size) == 8, "hdr.hdr_size");
_Static_assert(offsetof(ipc_region_hdr_t, region_size) == 12, "hdr.region_size");
_Static_assert(offsetof(ipc_region_hdr_t, features) == 16, "hdr.features");
_Static_assert(offsetof(ipc_region_hdr_t, cacheline) == 20, "hdr.cacheline");
_Static_assert(offsetof(ipc_region_hdr_t, n_sq) == 24, "hdr.n_sq");
_Static_assert(offsetof(ipc_region_hdr_t, sq_slots) == 28, "hdr.sq_slots");
_Static_assert(offsetof(ipc_region_hdr_t, cq_slots) == 32, "hdr.cq_slots");
_Static_assert(offsetof(ipc_region_hdr_t, max_jobs) == 36, "hdr.max_jobs");
_Static_assert(offsetof(ipc_region_hdr_t, job_desc_size) == 40, "hdr.job_desc_size");
_Static_assert(offsetof(ipc_region_hdr_t, cq_off) == 44, "hdr.cq_off");
_Static_assert(offsetof(ipc_region_hdr_t, jobs_off) == 48, "hdr.jobs_off");
_Static_assert(offsetof(ipc_region_hdr_t, heap_off) == 52, "hdr.heap_off");
_Static_assert(offsetof(ipc_region_hdr_t, heap_size) == 56, "hdr.heap_size");
_Static_assert(offsetof(ipc_region_hdr_t, reserved0) == 60, "hdr.reserved0");
_Static_assert(offsetof(ipc_region_hdr_t, sq_off) == 1 * IPC_CACHELINE, "hdr.sq_off");
_Static_assert(offsetof(ipc_region_hdr_t, sq_weight) == 1 * IPC_CACHELINE + 32, "hdr.sq_weight");
_Static_assert(offsetof(ipc_region_hdr_t, zen) == 2 * IPC_CACHELINE, "hdr.zen on its own line");
_Static_assert(offsetof(ipc_region_hdr_t, bridge) == 3 * IPC_CACHELINE, "hdr.bridge on its own line");
_Static_assert(sizeof(ipc_region_hdr_t) == 4 * IPC_CACHELINE, "header is 4 lines");

_Static_assert(sizeof(ipc_tensor_ref_t) == 8, "tensor ref");
_Static_assert(offsetof(ipc_job_desc_t, handle) == 0, "job.handle");
_Static_assert(offsetof(ipc_job_desc_t, model_id) == 4, "job.model_id");
_Static_assert(offsetof(ipc_job_desc_t, qos) == 8, "job.qos");
_Static_assert(offsetof(ipc_job_desc_t, n_in) == 9, "job.n_in");
_Static_assert(offsetof(ipc_job_desc_t, n_out) == 10, "job.n_out");
_Static_assert(offsetof(ipc_job_desc_t, req_flags) == 11, "job.req_flags");
_Static_assert(offsetof(ipc_job_desc_t, timeout_us) == 12, "job.timeout_us");
_Static_assert(offsetof(ipc_job_desc_t, t_submit) == 16, "job.t_submit");
_Static_assert(offsetof(ipc_job_desc_t, cancel) == 24, "job.cancel");
_Static_assert(offsetof(ipc_job_desc_t, reserved0) == 28, "job.reserved0");
_Static_assert(offsetof(ipc_job_desc_t, in) == 32, "job.in");
_Static_assert(offsetof(ipc_job_desc_t, out) == 64, "job.out");
_Static_assert(offsetof(ipc_job_desc_t, t_pickup) == 2 * IPC_CACHELINE, "job answer on line 2");
_Static_assert(offsetof(ipc_job_desc_t, t_backend_start) == 2 * IPC_CACHELINE + 8, "job.t_backend_start");
_Static_assert(offsetof(ipc_job_desc_t, t_backend_end) == 2 * IPC_CACHELINE + 16, "job.t_backend_end");
_Static_assert(offsetof(ipc_job_desc_t, t_complete) == 2 * IPC_CACHELINE + 24, "job.t_complete");
_Static_assert(offsetof(ipc_job_desc_t, backend_ns) == 2 * IPC_CACHELINE + 32, "job.backend_ns");
_Static_assert(offsetof(ipc_job_desc_t, bridge_epoch) == 2 * IPC_CACHELINE + 40, "job.bridge_epoch");
_Static_assert(offsetof(ipc_job_desc_t, result) == 2 * IPC_CACHELINE + 44, "job.result");
_Static_assert(offsetof(ipc_job_desc_t, t_complete_seen) == 3 * IPC_CACHELINE, "job zenedge trace on line 3");
_Static_assert(offsetof(ipc_job_desc_t, t_wake) == 3 * IPC_CACHELINE + 8, "job.t_wake");
_Static_assert(sizeof(ipc_job_desc_t) == 4 * IPC_CACHELINE, "descriptor is 4 lines (256 bytes)");

_Static_assert(sizeof(ipc_hdr_trace_t) == IPC_CACHELINE, "trace header line");
_Static_assert(IPC_HDR_SIZE_1_0 == sizeof(ipc_region_hdr_t), "1.0 header size");
_Static_assert(offsetof(ipc_trace_rec_t, seq) == 0, "trace.seq");
_Static_assert(offsetof(ipc_trace_rec_t, qos) == 12, "trace.qos");
_Static_assert(offsetof(ipc_trace_rec_t, t_submit) == 32, "trace.t_submit");
_Static_assert(offsetof(ipc_trace_rec_t, backend_ns) == 96, "trace.backend_ns");
_Static_assert(sizeof(ipc_trace_rec_t) == 2 * IPC_CACHELINE, "trace record is 2 lines");
_Static_assert(sizeof(ipc_trace_area_t) == IPC_CACHELINE, "trace control line");

_Static_assert(IPC_QOS_COUNT <= IPC_MAX_SQ, "one ring per class fits the table");
_Static_assert((IPC_FEAT_KNOWN & ~(IPC_FEAT_REQUIRED_MASK | IPC_FEAT_OPTIONAL_MASK)) == 0, "feature masks");

/* clang-format on */

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_PROTO_H */
