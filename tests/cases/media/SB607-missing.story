# A reference file that does not exist is reported even before a clip sends it.
cast mei: a girl in a yellow raincoat
  image: refs/nobody.png
clip rain 5s
  @mei walks in the rain
#! SB607 3:10
