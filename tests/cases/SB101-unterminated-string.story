#! SB101 4:12
#! SB101 5:9
# A string that opens with `"` and never closes was taken as the title, quote and all.
storyboard "Oops
include "shared/cast.story
clip a 3s
  a quiet street at dawn
