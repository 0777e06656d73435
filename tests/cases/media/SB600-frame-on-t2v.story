# A text-to-video model takes no first frame.
model wan2.7-t2v
clip rain 5s
  first-frame: refs/street.jpg
  rain on an empty street
#! SB600 4:3
