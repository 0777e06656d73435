# wan2.6-r2v takes no voices: the clip is made without it.
model wan2.6-r2v
region beijing
cast mei: a girl in a yellow raincoat
  image: refs/mei.png
  voice: refs/voice.wav
clip hello 5s
  @mei waves
#! SB617 8:3
