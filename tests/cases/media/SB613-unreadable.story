# A file that is not what its name says.
model wan2.7-i2v
clip rain 5s
  first-frame: refs/broken.png
  rain on an empty street
#! SB613 4:16
