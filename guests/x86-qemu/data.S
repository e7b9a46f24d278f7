/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * data.S - the digits held-out set (models/digits_mlp/test_x.f32 and
 * test_y.u8) built into the image, so that the guest can submit real
 * samples and score the bridge's answers without a file system.
 * ZX_DIGITS_X / ZX_DIGITS_Y are set by CMakeLists.txt.
 */
    .section .rodata
    .balign 64
    .global zx_digits_x, zx_digits_x_end, zx_digits_y, zx_digits_y_end
zx_digits_x:
    .incbin ZX_DIGITS_X
zx_digits_x_end:
    .balign 4
zx_digits_y:
    .incbin ZX_DIGITS_Y
zx_digits_y_end:

    .section .note.GNU-stack, "", @progbits
