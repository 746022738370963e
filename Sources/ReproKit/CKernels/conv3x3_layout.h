// Layout constants shared by conv3x3.c (sizes, packing) and the per-ISA kernel files.
#ifndef REPRO_CONV3X3_LAYOUT_H
#define REPRO_CONV3X3_LAYOUT_H

// OB: output channels per packed weight block. GRID_TILE: pixels the scratch grid's rows are
// rounded up to, and the widest register tile any ISA uses (AVX-512: 48; AVX2: 24 divides it).
enum { OB = 8, GRID_TILE = 48 };

static inline long round_up(long a, long b) { return (a + b - 1) / b * b; }

#endif
