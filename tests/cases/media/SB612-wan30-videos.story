# Wan 3.0 reference videos: at least 16 fps (long.mp4 and slow.mp4 are not), and 15 s together at most (§6.3).
model wan3.0-video
region beijing
cast mei: a girl
  video: refs/long.mp4
cast lin: a boy
  video: refs/walk.mp4
cast fox: a fox
  video: refs/slow.mp4
clip meet 5s
  @mei, @lin and @fox meet
#! SB612 5:10
#! SB612 9:10
#! SB612 10:6
