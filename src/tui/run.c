#include "tui_int.h"
int tui_run(struct tui *t, struct kr_cer_script *s, const char *r) { (void)s; (void)r; tui_message(t, "Run", "soon"); return 0; }
