// zlib, for the .gz data files (IDX, corpora).
#include <zlib.h>
