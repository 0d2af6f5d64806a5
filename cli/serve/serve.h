#ifndef TLSPROBE_SERVE_H
#define TLSPROBE_SERVE_H

/* tlsprobe serve [OPTIONS] [ADDR:]PORT; argv[0] is "serve". Returns the
 * exit status. */
int serve_main(int argc, char **argv);

#endif
