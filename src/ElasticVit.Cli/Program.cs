using TorchSharp;
Console.WriteLine(torch.ones(2,2).sum().item<float>());
