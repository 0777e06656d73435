# wan2.7-i2v continues clips of 2-10 s (`first_clip`); `dawn` is 12 s.
model wan2.7-i2v
resolution 720P
clip dawn 12s
  first-frame: media/refs/street.jpg
  The fox wakes in the den.
clip run 15s
  continue dawn clip
  The fox runs out.
#! SB655 8:12
