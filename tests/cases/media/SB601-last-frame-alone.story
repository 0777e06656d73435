# wan2.7-i2v takes a last frame only with a first frame or a first clip (§3.2).
model wan2.7-i2v
resolution 720P
clip door 5s
  last-frame: refs/door.png
  a red door slowly opens
#! SB601 4:6
