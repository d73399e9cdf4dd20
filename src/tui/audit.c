#include "tui_int.h"
void tui_audit(struct tui *t) { tui_message(t, "Audit", "soon"); }
