#! SB204 has-clips.story:2:1
include "has-clips.story"
cast fox: fox
clip a 3s
  @fox and @owl
