#include "tui_int.h"
void tui_ceremonies(struct tui *t) { tui_message(t, "Ceremonies", "soon"); }
