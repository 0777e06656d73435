# An original storyboard with pictures and a voice as inputs (the files in refs/ are drawn by refs/draw.py).
# The first and last clips start from a picture (wan2.7-i2v); the middle one keeps two characters' faces
# and Mei's voice from their reference pictures (wan2.7-r2v).
storyboard "Rain Walk"
model wan2.7-i2v
resolution 720P
language en
watermark off
seed 20261202

cast mei: a girl in a yellow raincoat
  image: refs/mei.png
  voice: refs/mei-voice.wav
cast lin: a boy with a red umbrella
  image: refs/lin.png

# From a picture of the street to a picture of the red door.
clip arrival 5s
  first-frame: refs/street.png
  last-frame: refs/door.png
  The rain eases as the camera drifts down the street to a red door.

# The two of them, as their pictures show them; Mei speaks with her own voice.
clip meeting 5s
  model wan2.7-r2v
  @mei waits under a street lamp; @lin arrives and holds his umbrella over her.
  say mei: You came.

# Driven by the drums: motion on the beat.
clip dusk 5s
  first-frame: refs/dusk.png
  driving-audio: refs/drums.wav
  The street glows at dusk while distant drums keep time.
