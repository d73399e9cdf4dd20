/* placeholder until this file is written */
typedef int kr_unwritten_index;
