# wan2.7-r2v takes at most five references; the sixth is the one the clip mentions last.
model wan2.7-r2v
resolution 720P
cast mei: a girl in a yellow raincoat
  image: refs/mei.png
cast lin: a boy with a red umbrella
  image: refs/lin.png
  video: refs/walk.mp4
cast fox: a fox
  image: refs/fox.png
cast owl: an owl
  image: refs/owl.png
place street: a street at night
  image: refs/street.jpg
clip crowd 5s
  @mei and @lin wait while @fox and @owl watch from @street
#! SB603 16:53
