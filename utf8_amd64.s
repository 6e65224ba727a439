//go:build amd64 && !purego

#include "textflag.h"

// validUTF8AVX2 is the "lookup" algorithm of J. Keiser and D. Lemire,
// Validating UTF-8 In Less Than One Instruction Per Byte (Software:
// Practice and Experience, 2021). Every error of a UTF-8 sequence but one
// shows in a pair of bytes: a byte, the high and low nibbles of the byte
// before it and its own high nibble are each looked up in a table of
// error bits (VPSHUFB), and a bit set in all three is an error. The one
// that pairs cannot show, a third or fourth byte that is missing or extra,
// is found by comparing two and three bytes back: the byte two after a
// lead of E0 and up, and the byte three after a lead of F0 and up, must
// be a continuation, which the tables mark as bit 7 (two continuations in
// a row), and no other byte after a continuation may be one.
//
// The error bits:
//	0x01	too short: a lead byte followed by a byte that does not continue it
//	0x02	too long: ASCII followed by a continuation
//	0x04	overlong 3-byte: E0 followed by 80-9F
//	0x08	too large: F4 followed by 90-BF, or F5-FF followed by 90-BF
//	0x10	surrogate: ED followed by A0-BF
//	0x20	overlong 2-byte: C0 or C1 followed by a continuation
//	0x40	F0 followed by 80-8F (overlong 4-byte), F5-FF followed by 80-8F
//	0x80	two continuations in a row
// The tables, by high nibble of the byte before (b1h), its low nibble
// (b1l) and the high nibble of the byte (b2h), each repeated in both
// 128-bit lanes for VPSHUFB:
DATA b1h<>+0(SB)/8, $0x0202020202020202 // 0-7: ASCII
DATA b1h<>+8(SB)/8, $0x4915012180808080 // 8-B: continuation; C, D, E, F: leads
DATA b1h<>+16(SB)/8, $0x0202020202020202
DATA b1h<>+24(SB)/8, $0x4915012180808080
GLOBL b1h<>(SB), RODATA|NOPTR, $32
DATA b1l<>+0(SB)/8, $0xCBCBCB8B8383A3E7
DATA b1l<>+8(SB)/8, $0xCBCBDBCBCBCBCBCB
DATA b1l<>+16(SB)/8, $0xCBCBCB8B8383A3E7
DATA b1l<>+24(SB)/8, $0xCBCBDBCBCBCBCBCB
GLOBL b1l<>(SB), RODATA|NOPTR, $32
DATA b2h<>+0(SB)/8, $0x0101010101010101
DATA b2h<>+8(SB)/8, $0x01010101BABAAEE6
DATA b2h<>+16(SB)/8, $0x0101010101010101
DATA b2h<>+24(SB)/8, $0x01010101BABAAEE6
GLOBL b2h<>(SB), RODATA|NOPTR, $32

// BLOCK checks the 32 bytes in Y0, with the block before them in Y1, and
// ORs the errors into Y2. It leaves Y0 in Y1 for the next block.
//	Y7: 0x80s  Y8: 0x70s  Y9: 0x60s  Y10-Y12: b1h, b1l, b2h  Y13: 0x0Fs
// In order: Y3 is the previous block's high lane and this one's low lane,
// from which VPALIGNR makes each byte's byte before (Y4), two before (Y5)
// and three before (Y6); Y1 becomes the pairs' errors, the three lookups
// ANDed; Y5 becomes 0x80 where a continuation must be (two before is E0
// and up, or three before F0 and up: the saturating subtractions leave
// 80 and up just there), XORed with the pairs' bit 7.
#define BLOCK \
	VPERM2I128	$0x21, Y0, Y1, Y3 \
	VPALIGNR	$15, Y3, Y0, Y4 \
	VPALIGNR	$14, Y3, Y0, Y5 \
	VPALIGNR	$13, Y3, Y0, Y6 \
	VPSRLW	$4, Y4, Y1 \
	VPAND	Y13, Y1, Y1 \
	VPSHUFB	Y1, Y10, Y1 \
	VPAND	Y13, Y4, Y4 \
	VPSHUFB	Y4, Y11, Y4 \
	VPAND	Y4, Y1, Y1 \
	VPSRLW	$4, Y0, Y4 \
	VPAND	Y13, Y4, Y4 \
	VPSHUFB	Y4, Y12, Y4 \
	VPAND	Y4, Y1, Y1 \
	VPSUBUSB	Y9, Y5, Y5 \
	VPSUBUSB	Y8, Y6, Y6 \
	VPOR	Y6, Y5, Y5 \
	VPAND	Y7, Y5, Y5 \
	VPXOR	Y5, Y1, Y1 \
	VPOR	Y1, Y2, Y2 \
	VMOVDQU	Y0, Y1

// func validUTF8AVX2(p []byte, tail *[32]byte) bool
TEXT ·validUTF8AVX2(SB), NOSPLIT, $0-33
	MOVQ	p_base+0(FP), SI
	MOVQ	p_len+8(FP), CX
	SHRQ	$5, CX
	VMOVDQU	b1h<>(SB), Y10
	VMOVDQU	b1l<>(SB), Y11
	VMOVDQU	b2h<>(SB), Y12
	MOVL	$0x0f, AX
	VMOVD	AX, X13
	VPBROADCASTB	X13, Y13
	MOVL	$0x60, AX
	VMOVD	AX, X9
	VPBROADCASTB	X9, Y9
	MOVL	$0x70, AX
	VMOVD	AX, X8
	VPBROADCASTB	X8, Y8
	MOVL	$0x80, AX
	VMOVD	AX, X7
	VPBROADCASTB	X7, Y7
	VPXOR	Y1, Y1, Y1 // before the first block: as if ASCII
	VPXOR	Y2, Y2, Y2
	TESTQ	CX, CX
	JZ	last
loop:
	VMOVDQU	(SI), Y0
	BLOCK
	ADDQ	$32, SI
	DECQ	CX
	JNZ	loop
last:
	MOVQ	tail+24(FP), SI
	VMOVDQU	(SI), Y0
	BLOCK
	VPTEST	Y2, Y2
	VZEROUPPER
	SETEQ	ret+32(FP)
	RET
