# References and an edit request, with no video to edit: the service fails it late (§6.2).
model wan3.0-video
region beijing
cast mei: a girl in a yellow raincoat
  image: refs/mei.png
clip hat 5s
  replace the hat of @mei with a crown
#! SB614 7:3
