"""Read models that join several domains for a screen: the pair list, the schedule and station queues, a pair's
timeline, the digital product passport. They sit on the top floor so every domain below stays unaware of them."""
