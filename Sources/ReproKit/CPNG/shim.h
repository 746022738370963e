// libpng's simplified API (png_image_*), enough for 8-bit gray and RGB images.
#include <png.h>
