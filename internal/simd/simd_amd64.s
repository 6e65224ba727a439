//go:build amd64 && !purego

#include "textflag.h"

// func indexPairAVX2(b []byte, c0, c1 byte) int
//
// For each block of 32 positions i, it loads b[i:i+32] and b[i+1:i+33],
// compares the first with c0 and the second with c1, and ANDs the two:
// a bit set is a pair. It stops before a block, 33 bytes with the byte
// after it, would reach past b's end, and tests the rest in one more
// block, the last 33 bytes of b. len(b) >= 33.
TEXT ·indexPairAVX2(SB), NOSPLIT, $0-40
	MOVQ	b_base+0(FP), SI
	MOVQ	b_len+8(FP), BX
	MOVBLZX	c0+24(FP), AX
	VMOVD	AX, X1
	VPBROADCASTB	X1, Y1
	MOVBLZX	c1+25(FP), AX
	VMOVD	AX, X2
	VPBROADCASTB	X2, Y2
	MOVQ	SI, DI
	LEAQ	-33(SI)(BX*1), BX // the last i a block can start at
loop:
	VMOVDQU	(SI), Y3
	VMOVDQU	1(SI), Y4
	VPCMPEQB	Y3, Y1, Y3
	VPCMPEQB	Y4, Y2, Y4
	VPAND	Y3, Y4, Y3
	VPMOVMSKB	Y3, AX
	TESTL	AX, AX
	JNZ	found
	ADDQ	$32, SI
	CMPQ	SI, BX
	JBE	loop
	// None before SI. The last block, which ends at b's end, overlaps
	// those searched: test it for the positions from SI on, rather than
	// leave up to 31 to the portable search, whose IndexByte call stops
	// at each c0 (in JSON, c0 'r' is common near an event's end).
	LEAQ	32(BX), CX // one past the last position a pair can start at
	CMPQ	SI, CX
	JAE	none
	VMOVDQU	(BX), Y3
	VMOVDQU	1(BX), Y4
	VPCMPEQB	Y3, Y1, Y3
	VPCMPEQB	Y4, Y2, Y4
	VPAND	Y3, Y4, Y3
	VPMOVMSKB	Y3, AX
	MOVQ	SI, CX
	SUBQ	BX, CX // the block's positions before SI, 1 to 31
	SHRL	CX, AX
	TESTL	AX, AX
	JNZ	found
none:
	VZEROUPPER
	MOVQ	$-1, ret+32(FP)
	RET
found:
	VZEROUPPER
	BSFL	AX, AX
	SUBQ	DI, SI
	LEAQ	1(SI)(AX*1), SI
	MOVQ	SI, ret+32(FP)
	RET

// func cpuHasAVX2() bool
TEXT ·cpuHasAVX2(SB), NOSPLIT, $0-1
	// Leaf 7 must exist.
	XORL	AX, AX
	XORL	CX, CX
	CPUID
	CMPL	AX, $7
	JB	no
	// Leaf 1: OSXSAVE (ECX bit 27) and AVX (bit 28).
	MOVL	$1, AX
	XORL	CX, CX
	CPUID
	ANDL	$(1<<27|1<<28), CX
	CMPL	CX, $(1<<27|1<<28)
	JNE	no
	// XCR0: the OS saves the XMM (bit 1) and YMM (bit 2) state.
	XORL	CX, CX
	XGETBV
	ANDL	$6, AX
	CMPL	AX, $6
	JNE	no
	// Leaf 7: AVX2 (EBX bit 5) and BMI2 (bit 8), which every CPU with
	// AVX2 has; the vector code uses its BZHI.
	MOVL	$7, AX
	XORL	CX, CX
	CPUID
	ANDL	$(1<<5|1<<8), BX
	CMPL	BX, $(1<<5|1<<8)
	JNE	no
	MOVB	$1, ret+0(FP)
	RET
no:
	MOVB	$0, ret+0(FP)
	RET
