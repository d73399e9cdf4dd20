#include "tui_int.h"
