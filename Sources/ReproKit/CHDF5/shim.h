// HDF5, Debian's serial build. Its type and property-list ids (H5T_NATIVE_FLOAT,
// H5P_DEFAULT, ...) are macros over globals that Swift cannot import; these static inline
// functions hand them to Swift.
#include <hdf5/serial/hdf5.h>

static inline hid_t repro_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t repro_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t repro_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t repro_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t repro_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t repro_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t repro_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t repro_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t repro_h5s_all(void) { return H5S_ALL; }
static inline unsigned repro_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned repro_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned repro_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline size_t repro_h5t_variable(void) { return H5T_VARIABLE; }
