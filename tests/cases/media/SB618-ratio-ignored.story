# wan2.7-i2v follows the first frame's shape; ratio changes nothing.
model wan2.7-i2v
ratio 9:16
clip rain 5s
  first-frame: refs/street.jpg
  rain on an empty street
#! SB618 3:1
