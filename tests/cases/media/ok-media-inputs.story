# Each mode at its limits: first + last frame + audio; five references with a voice and a first frame; Wan 3.0 frames.
model wan2.7-i2v
resolution 720P
cast mei: a girl in a yellow raincoat
  image: refs/mei.png
  voice: refs/voice.wav
cast lin: a boy with a red umbrella
  image: refs/lin.png
  video: refs/walk.mp4
cast fox: a fox
  image: refs/fox.png
place street: a street at night
  image: refs/street.jpg
clip door 5s
  first-frame: refs/street.jpg
  last-frame: refs/door.png
  driving-audio: refs/song.wav
  the door opens to music
clip crowd 10s
  model wan2.7-r2v
  first-frame: refs/door.png
  @mei and @lin meet @fox in @street
  say mei: Hello.
clip frames 5s
  model wan3.0-video
  region beijing
  first-frame: refs/street.jpg
  last-frame: refs/door.png
  the street empties
