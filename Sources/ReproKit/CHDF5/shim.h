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
// For checkpoints: the error stack, explicit little-endian file types (the file says what it
// holds whatever the machine) and the property-list classes that set creation order.
static inline hid_t repro_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t repro_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t repro_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t repro_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t repro_h5t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t repro_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t repro_h5p_group_create(void) { return H5P_GROUP_CREATE; }
static inline unsigned repro_h5p_crt_order_tracked_indexed(void) {
    return H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
}
