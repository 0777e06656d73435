# Only some models continue a clip's video itself; a scene's parts chain by frame.
model wan3.0-video
resolution 720P
clip dawn 5s
  The fox wakes in the den.
clip run 5s
  model wan2.6-i2v
  continue dawn clip
  The fox runs out.
scene later
  continue dawn clip
  shot 5s wide: The fox sleeps.
#! SB654 8:3
#! SB654 11:3
