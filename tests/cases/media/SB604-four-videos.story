# wan2.6-r2v takes at most three reference videos (§7.3).
model wan2.6-r2v
region beijing
cast mei: a girl
  video: refs/walk.mp4
cast lin: a boy
  video: refs/slow.mp4
cast fox: a fox
  video: refs/long.mp4
cast owl: an owl
  video: refs/run.mp4
clip crowd 5s
  @mei, @lin, @fox and @owl meet
#! SB604 13:24
