# Wan 3.0 takes frames or references, not both: the service fails it only once queued (§6.2, §13).
model wan3.0-video
region beijing
cast mei: a girl in a yellow raincoat
  image: refs/mei.png
clip rain 5s
  first-frame: refs/street.jpg
  @mei walks into the rain
#! SB605 8:3
