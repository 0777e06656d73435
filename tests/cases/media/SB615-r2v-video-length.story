# With a reference video wan2.7-r2v makes 2-10 s (§4.1).
model wan2.7-r2v
resolution 720P
cast lin: a boy with a red umbrella
  video: refs/walk.mp4
clip long 12s
  @lin walks through the rain
#! SB615 6:11
