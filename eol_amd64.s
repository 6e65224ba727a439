//go:build amd64 && !purego

#include "textflag.h"

// indexEOL's two versions keep the same registers:
//	SI	the block being tested
//	BX	bytes left from SI
//	DI	the start of b
//	R9	the high bits of the bytes passed (not zero: one was not ASCII)
//	AX	a block's CR and LF bits, one bit a byte
//	DX	a block's high bits, one bit a byte
// When fewer bytes are left than a block holds, a whole block is still
// loaded, never past the memory b is in: either from SI, when the block
// does not cross into the next page, or ending at b's end (after a full
// block, or inside SI's page, which is mapped), with the bits of the bytes
// before SI shifted out. bytealg's IndexByte reads short slices the same
// way. The two versions end alike, but each in its own function: a label
// is local to its TEXT block, and only the AVX2 one must clear the upper
// halves of the YMM registers (VZEROUPPER) before returning to SSE code.

DATA	eolLF<>+0x00(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA	eolLF<>+0x08(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA	eolLF<>+0x10(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA	eolLF<>+0x18(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL	eolLF<>(SB), RODATA|NOPTR, $32
DATA	eolCR<>+0x00(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA	eolCR<>+0x08(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA	eolCR<>+0x10(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA	eolCR<>+0x18(SB)/8, $0x0d0d0d0d0d0d0d0d
GLOBL	eolCR<>(SB), RODATA|NOPTR, $32

// func indexEOL(b []byte) (i int, ascii bool)
TEXT ·indexEOL(SB), NOSPLIT, $0-33
	CMPB	·useAVX2(SB), $0
	JEQ	sse2
	JMP	·indexEOLAVX2(SB)
sse2:
	JMP	·indexEOLSSE2(SB)

// func indexEOLAVX2(b []byte) (i int, ascii bool)
TEXT ·indexEOLAVX2(SB), NOSPLIT, $0-33
	MOVQ	b_base+0(FP), SI
	MOVQ	b_len+8(FP), BX
	MOVQ	SI, DI
	XORL	R9, R9
	// The CR and LF vectors are loaded from memory, not broadcast from a
	// register: six instructions fewer a call, most of the cost of a
	// call on a short line. (A broadcast would have to use VMOVD, not
	// MOVD: a legacy SSE instruction while the upper halves of the YMM
	// registers may be dirty costs a switch of SSE and AVX states,
	// measured at about 200 ns a call.)
	VMOVDQU	eolLF<>(SB), Y1
	VMOVDQU	eolCR<>(SB), Y2
	CMPQ	BX, $32
	JB	avx2short

avx2loop:
	VMOVDQU	(SI), Y0
	VPCMPEQB	Y0, Y1, Y3
	VPCMPEQB	Y0, Y2, Y4
	VPOR	Y3, Y4, Y3
	VPMOVMSKB	Y3, AX
	VPMOVMSKB	Y0, DX
	TESTL	AX, AX
	JNZ	avx2found
	ORL	DX, R9
	ADDQ	$32, SI
	SUBQ	$32, BX
	CMPQ	BX, $32
	JAE	avx2loop
	TESTQ	BX, BX
	JZ	avx2none
	// 1 to 31 bytes left, after a full block: test the last 32 bytes.
	JMP	avx2back

avx2short:
	TESTQ	BX, BX
	JZ	avx2none
	MOVL	SI, R8
	ANDL	$4095, R8
	CMPL	R8, $(4096-32)
	JA	avx2back
	VMOVDQU	(SI), Y0
	VPCMPEQB	Y0, Y1, Y3
	VPCMPEQB	Y0, Y2, Y4
	VPOR	Y3, Y4, Y3
	VPMOVMSKB	Y3, AX
	VPMOVMSKB	Y0, DX
	// Keep the bits of the BX bytes that are b's (BZHI is BMI2, which
	// useAVX2 requires too).
	BZHIL	BX, AX, AX
	BZHIL	BX, DX, DX
	JMP	avx2last

avx2back:
	LEAQ	-32(SI)(BX*1), R8
	VMOVDQU	(R8), Y0
	VPCMPEQB	Y0, Y1, Y3
	VPCMPEQB	Y0, Y2, Y4
	VPOR	Y3, Y4, Y3
	VPMOVMSKB	Y3, AX
	VPMOVMSKB	Y0, DX
	// Drop the bits of the 32-BX bytes before SI.
	MOVL	$32, CX
	SUBL	BX, CX
	SHRL	CX, AX
	SHRL	CX, DX

avx2last:
	TESTL	AX, AX
	JNZ	avx2found
	ORL	DX, R9

avx2none:
	VZEROUPPER
	MOVQ	b_len+8(FP), AX
	MOVQ	AX, i+24(FP)
	TESTL	R9, R9
	SETEQ	ascii+32(FP)
	RET

avx2found:
	VZEROUPPER
	BSFL	AX, CX
	// The high bits of the bytes before the line end.
	BZHIL	CX, DX, DX
	ORL	DX, R9
	SUBQ	DI, SI
	ADDQ	CX, SI
	MOVQ	SI, i+24(FP)
	TESTL	R9, R9
	SETEQ	ascii+32(FP)
	RET

// func indexEOLSSE2(b []byte) (i int, ascii bool)
TEXT ·indexEOLSSE2(SB), NOSPLIT, $0-33
	MOVQ	b_base+0(FP), SI
	MOVQ	b_len+8(FP), BX
	MOVQ	SI, DI
	XORL	R9, R9
	MOVOU	eolLF<>(SB), X1
	MOVOU	eolCR<>(SB), X2
	CMPQ	BX, $16
	JB	sse2short

sse2loop:
	MOVOU	(SI), X0
	MOVOU	X1, X3
	PCMPEQB	X0, X3
	MOVOU	X2, X4
	PCMPEQB	X0, X4
	POR	X4, X3
	PMOVMSKB	X3, AX
	PMOVMSKB	X0, DX
	TESTL	AX, AX
	JNZ	sse2found
	ORL	DX, R9
	ADDQ	$16, SI
	SUBQ	$16, BX
	CMPQ	BX, $16
	JAE	sse2loop
	TESTQ	BX, BX
	JZ	sse2none
	JMP	sse2back

sse2short:
	TESTQ	BX, BX
	JZ	sse2none
	MOVL	SI, R8
	ANDL	$4095, R8
	CMPL	R8, $(4096-16)
	JA	sse2back
	MOVOU	(SI), X0
	MOVOU	X1, X3
	PCMPEQB	X0, X3
	MOVOU	X2, X4
	PCMPEQB	X0, X4
	POR	X4, X3
	PMOVMSKB	X3, AX
	PMOVMSKB	X0, DX
	MOVL	$1, R10
	MOVL	BX, CX
	SHLL	CX, R10
	DECL	R10
	ANDL	R10, AX
	ANDL	R10, DX
	JMP	sse2last

sse2back:
	LEAQ	-16(SI)(BX*1), R8
	MOVOU	(R8), X0
	MOVOU	X1, X3
	PCMPEQB	X0, X3
	MOVOU	X2, X4
	PCMPEQB	X0, X4
	POR	X4, X3
	PMOVMSKB	X3, AX
	PMOVMSKB	X0, DX
	MOVL	$16, CX
	SUBL	BX, CX
	SHRL	CX, AX
	SHRL	CX, DX

sse2last:
	TESTL	AX, AX
	JNZ	sse2found
	ORL	DX, R9

sse2none:
	MOVQ	b_len+8(FP), AX
	MOVQ	AX, i+24(FP)
	TESTL	R9, R9
	SETEQ	ascii+32(FP)
	RET

sse2found:
	BSFL	AX, CX
	MOVL	$1, R10
	SHLL	CX, R10
	DECL	R10
	ANDL	R10, DX
	ORL	DX, R9
	SUBQ	DI, SI
	ADDQ	CX, SI
	MOVQ	SI, i+24(FP)
	TESTL	R9, R9
	SETEQ	ascii+32(FP)
	RET
