// FreeType, for text on plots and attention maps (Debian: libfreetype-dev; headers under
// /usr/include/freetype2, which the package's pkg-config adds).
#include <ft2build.h>
#include FT_FREETYPE_H
