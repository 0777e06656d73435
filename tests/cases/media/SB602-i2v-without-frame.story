# An image-to-video model makes nothing from text alone.
model wan2.7-i2v
clip words 5s
  a red door slowly opens
#! SB602 3:6
