# One picture given to two cast members: the model reads a reference as one subject.
cast mei: a girl in a yellow raincoat
  image: refs/mei.png
cast lin: her twin
  image: refs/mei.png
clip twins 5s
  @mei and @lin stand in the rain
#! SB606 5:10
