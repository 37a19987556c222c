#include "config.h"

#include "tl-layer.h"
