#include "tui_int.h"
void tui_inventory(struct tui *t) { tui_message(t, "Inventory", "soon"); }
